package encryption_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ciliumkit/ciliumkit/encryption"
)

func TestGenerateIPsecKey(t *testing.T) {
	for _, aes := range []int{0, 16, 24, 32} {
		k, err := encryption.GenerateIPsecKey(3, aes)
		if err != nil {
			t.Fatalf("aes %d: %v", aes, err)
		}
		want := aes
		if want == 0 {
			want = 16
		}
		if len(k.Key) != want+encryption.IPsecSaltLen || k.SPI != 3 || !k.PerTunnel || k.ICVBits != 128 {
			t.Errorf("aes %d: got SPI %d plus %v key %d bytes ICV %d", aes, k.SPI, k.PerTunnel, len(k.Key), k.ICVBits)
		}
		if bytes.Equal(k.Key, make([]byte, len(k.Key))) {
			t.Errorf("aes %d: key is all zero", aes)
		}
		line := k.Line()
		if !strings.HasPrefix(line, "3+ rfc4106(gcm(aes)) ") || !strings.HasSuffix(line, " 128") {
			t.Errorf("Line() = %s[...]: wrong shape", line[:22])
		}
		back, err := encryption.ParseIPsecKey(line + "\n")
		if err != nil {
			t.Fatalf("parse generated line: %v", err)
		}
		if back.SPI != k.SPI || back.PerTunnel != k.PerTunnel || !bytes.Equal(back.Key, k.Key) || back.ICVBits != k.ICVBits {
			t.Errorf("round trip changed the key: %v -> %v", k, back)
		}
		secret := hex.EncodeToString(k.Key)
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			if out := fmt.Sprintf(format, k); strings.Contains(out, secret) {
				t.Errorf("%s of an IPsecKey prints the key", format)
			}
		}
	}
	a, _ := encryption.GenerateIPsecKey(1, 16)
	b, _ := encryption.GenerateIPsecKey(1, 16)
	if bytes.Equal(a.Key, b.Key) {
		t.Error("two generated keys are equal")
	}
	for _, tc := range []struct {
		spi  uint8
		aes  int
		want error
	}{{0, 16, encryption.ErrSPI}, {16, 16, encryption.ErrSPI}, {1, 20, encryption.ErrIPsecKey}, {1, -1, encryption.ErrIPsecKey}} {
		if _, err := encryption.GenerateIPsecKey(tc.spi, tc.aes); !errors.Is(err, tc.want) {
			t.Errorf("GenerateIPsecKey(%d, %d) err = %v, want %v", tc.spi, tc.aes, err, tc.want)
		}
	}
}

func TestNextSPI(t *testing.T) {
	for spi, want := range map[uint8]uint8{1: 2, 7: 8, 14: 15, 15: 1} {
		if got := encryption.NextSPI(spi); got != want {
			t.Errorf("NextSPI(%d) = %d, want %d", spi, got, want)
		}
	}
}

func TestParseIPsecKey(t *testing.T) {
	key := "6254fced5f7a5ea9401b9015ecf10d65eac51a69"
	tests := []struct {
		line string
		spi  uint8
		plus bool
		icv  int
		n    int
	}{
		{"3+ rfc4106(gcm(aes)) " + key + " 128", 3, true, 128, 20},
		{"15 rfc4106(gcm(aes)) 0x" + key + " 96", 15, false, 96, 20},
		{"1+ rfc4106(gcm(aes)) " + key + "0011223344556677 128\n", 1, true, 128, 28},
		{"2+ rfc4106(gcm(aes)) " + key + key[:32] + " 128", 2, true, 128, 36},
	}
	for _, tt := range tests {
		k, err := encryption.ParseIPsecKey(tt.line)
		if err != nil {
			t.Errorf("ParseIPsecKey(line %d chars): %v", len(tt.line), err)
			continue
		}
		if k.SPI != tt.spi || k.PerTunnel != tt.plus || k.ICVBits != tt.icv || len(k.Key) != tt.n {
			t.Errorf("ParseIPsecKey = %v, want spi %d plus %v icv %d key %d bytes", k, tt.spi, tt.plus, tt.icv, tt.n)
		}
		if !strings.HasPrefix(hex.EncodeToString(k.Key), key) {
			t.Errorf("key bytes not decoded from the line")
		}
	}
}

func TestParseIPsecKeyRejectsWithoutLeakingKey(t *testing.T) {
	key := "6254fced5f7a5ea9401b9015ecf10d65eac51a69"
	tests := []struct {
		line string
		want error
	}{
		{"", encryption.ErrIPsecKey},
		{"3+ rfc4106(gcm(aes)) " + key, encryption.ErrIPsecKey},
		{"3+  rfc4106(gcm(aes)) " + key + " 128", encryption.ErrIPsecKey},
		{"0+ rfc4106(gcm(aes)) " + key + " 128", encryption.ErrSPI},
		{"16+ rfc4106(gcm(aes)) " + key + " 128", encryption.ErrSPI},
		{"-1 rfc4106(gcm(aes)) " + key + " 128", encryption.ErrSPI},
		{key + " rfc4106(gcm(aes)) 3 128", encryption.ErrSPI},
		{"3+ " + key + " rfc4106(gcm(aes)) 128", encryption.ErrIPsecKey},
		{"3+ rfc4106(gcm(aes)) 128 " + key, encryption.ErrIPsecKey},
		{"3+ rfc4106(gcm(aes)) " + key[:38] + "zz 128", encryption.ErrIPsecKey},
		{"3+ rfc4106(gcm(aes)) " + key[:32] + " 128", encryption.ErrIPsecKey}, // no salt
		{"3+ rfc4106(gcm(aes)) " + key + " 256", encryption.ErrIPsecKey},
		{"3+ hmac(sha256) " + key + " 128", encryption.ErrIPsecKey},
		{"3+ hmac(sha256) " + key + " cbc(aes) " + key[:32], encryption.ErrIPsecKey},
	}
	for _, tt := range tests {
		_, err := encryption.ParseIPsecKey(tt.line)
		if !errors.Is(err, tt.want) {
			t.Errorf("ParseIPsecKey(%d-char line) err = %v, want %v", len(tt.line), err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), key[:24]) {
			t.Errorf("error %q contains key material", err)
		}
	}
}

func FuzzParseIPsecKey(f *testing.F) {
	f.Add("3+ rfc4106(gcm(aes)) 6254fced5f7a5ea9401b9015ecf10d65eac51a69 128")
	f.Add("15 rfc4106(gcm(aes)) 0x6254fced5f7a5ea9401b9015ecf10d65eac51a69 96\n")
	f.Add("3+ 6254fced5f7a5ea9401b9015ecf10d65eac51a69 rfc4106(gcm(aes)) 128")
	f.Add("0 a b c")
	f.Fuzz(func(t *testing.T, line string) {
		k, err := encryption.ParseIPsecKey(line)
		if err != nil {
			if !errors.Is(err, encryption.ErrIPsecKey) && !errors.Is(err, encryption.ErrSPI) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			// No field long enough to be key material may appear in the error.
			for _, field := range strings.Fields(line) {
				if len(field) > 24 && strings.Contains(err.Error(), field) {
					t.Fatalf("error %q repeats a %d-character field", err, len(field))
				}
			}
			return
		}
		if err := k.Validate(); err != nil {
			t.Fatalf("parsed key does not validate: %v", err)
		}
		back, err := encryption.ParseIPsecKey(k.Line())
		if err != nil || back.SPI != k.SPI || back.PerTunnel != k.PerTunnel || !bytes.Equal(back.Key, k.Key) || back.ICVBits != k.ICVBits {
			t.Fatalf("Line() does not round-trip: %v -> %v, %v", k, back, err)
		}
	})
}
