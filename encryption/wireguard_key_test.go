package encryption_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/ciliumkit/ciliumkit/encryption"
)

func TestGenerateKeyPair(t *testing.T) {
	a, err := encryption.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	b, err := encryption.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if a.Private == b.Private || a.Public == b.Public {
		t.Fatal("two generated key pairs are equal")
	}
	if a.Public != a.Private.PublicKey() {
		t.Error("Public is not derived from Private")
	}
	got, err := encryption.ParsePublicKey(a.Public.String())
	if err != nil || got != a.Public {
		t.Errorf("ParsePublicKey(%s) = %s, %v", a.Public, got, err)
	}
	priv := a.Private.String()
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, a)
		if strings.Contains(out, priv) {
			t.Errorf("%s of a KeyPair prints the private key", format)
		}
		if !strings.Contains(out, a.Public.String()) {
			t.Errorf("%s of a KeyPair = %q, want the public key in it", format, out)
		}
	}
}

func TestParsePublicKeyRejects(t *testing.T) {
	valid := "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
	if _, err := encryption.ParsePublicKey(valid); err != nil {
		t.Fatalf("valid key: %v", err)
	}
	for _, in := range []string{
		"",
		valid[:43],
		valid + "=",
		" " + valid[1:],
		"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dh=", // non-zero padding bits
		"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8D\n=",
		"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg-",
		"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8-g=", // URL alphabet
		wgtypes.Key{}.String(),
		strings.Repeat("A", 1000),
	} {
		_, err := encryption.ParsePublicKey(in)
		if !errors.Is(err, encryption.ErrPublicKey) {
			t.Errorf("ParsePublicKey(%q) err = %v, want ErrPublicKey", in, err)
			continue
		}
		if len(err.Error()) > 300 {
			t.Errorf("ParsePublicKey error is %d bytes long", len(err.Error()))
		}
	}
}

func FuzzParsePublicKey(f *testing.F) {
	f.Add("xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=")
	f.Add("xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dh=")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := encryption.ParsePublicKey(s)
		if err != nil {
			if !errors.Is(err, encryption.ErrPublicKey) {
				t.Fatalf("ParsePublicKey(%q) error %v does not wrap ErrPublicKey", s, err)
			}
			return
		}
		if k.String() != s {
			t.Fatalf("ParsePublicKey(%q) = %s: not canonical", s, k)
		}
		if k == (wgtypes.Key{}) {
			t.Fatalf("ParsePublicKey(%q) accepted the zero key", s)
		}
	})
}
