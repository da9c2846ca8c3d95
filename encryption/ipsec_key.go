package encryption

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// IPsec key constants.
const (
	// IPsecAlgorithm is the AEAD algorithm ciliumkit writes and reads: AES-GCM for ESP.
	IPsecAlgorithm = "rfc4106(gcm(aes))"
	// MinSPI and MaxSPI bound the key ID (SPI) Cilium accepts; rotation goes from MaxSPI
	// back to MinSPI.
	MinSPI, MaxSPI = 1, 15
	// IPsecSaltLen is the length in bytes of the salt that follows the AES key (RFC 4106).
	IPsecSaltLen = 4
	// DefaultICVBits is the integrity check value length written by GenerateIPsecKey.
	DefaultICVBits = 128
)

// IPsecKey is one line of the cilium-ipsec-keys Secret in the AEAD form Cilium documents:
//
//	<spi>[+] rfc4106(gcm(aes)) <hex AES key followed by a 4-byte salt> <ICV bits>
//
// for example "3+ rfc4106(gcm(aes)) <40 hex digits> 128". Its String method hides the key;
// Line returns the full secret value.
type IPsecKey struct {
	// SPI is the key ID, MinSPI to MaxSPI; a rotation must change it (see NextSPI).
	SPI uint8
	// PerTunnel is the "+" after the SPI, which makes Cilium derive per-tunnel keys from
	// this one. Cilium's documentation strongly recommends it; GenerateIPsecKey sets it.
	PerTunnel bool
	// Key is the AES key (16, 24 or 32 bytes) followed by the IPsecSaltLen-byte salt, so
	// 20, 28 or 36 bytes. It is secret.
	Key []byte
	// ICVBits is the integrity check value length in bits: 96 or 128.
	ICVBits int
}

// GenerateIPsecKey returns a per-tunnel AES-GCM key with key ID spi (MinSPI to MaxSPI),
// aesBytes of AES key (16, 24 or 32; 0 means 16) plus salt from crypto/rand, and
// DefaultICVBits.
func GenerateIPsecKey(spi uint8, aesBytes int) (IPsecKey, error) {
	if aesBytes == 0 {
		aesBytes = 16
	}
	if aesBytes != 16 && aesBytes != 24 && aesBytes != 32 {
		return IPsecKey{}, fmt.Errorf("%w: AES key length %d bytes; want 16, 24 or 32", ErrIPsecKey, aesBytes)
	}
	k := IPsecKey{SPI: spi, PerTunnel: true, Key: make([]byte, aesBytes+IPsecSaltLen), ICVBits: DefaultICVBits}
	if err := k.Validate(); err != nil {
		return IPsecKey{}, err
	}
	if _, err := rand.Read(k.Key); err != nil {
		return IPsecKey{}, fmt.Errorf("encryption: generate IPsec key: %w", err)
	}
	return k, nil
}

// NextSPI returns the key ID that follows spi in a rotation: spi+1, and MinSPI after MaxSPI.
func NextSPI(spi uint8) uint8 {
	if spi >= MaxSPI {
		return MinSPI
	}
	return spi + 1
}

// Validate reports, joined as one ErrSPI or ErrIPsecKey error, whether k is usable: SPI in
// MinSPI..MaxSPI, Key of 20, 28 or 36 bytes, ICVBits 96 or 128. It never quotes the key.
func (k IPsecKey) Validate() error {
	if k.SPI < MinSPI || k.SPI > MaxSPI {
		return fmt.Errorf("%w: %d outside %d-%d", ErrSPI, k.SPI, MinSPI, MaxSPI)
	}
	switch len(k.Key) - IPsecSaltLen {
	case 16, 24, 32:
	default:
		return fmt.Errorf("%w: key of SPI %d is %d bytes; want a 16, 24 or 32 byte AES key plus a %d byte salt",
			ErrIPsecKey, k.SPI, len(k.Key), IPsecSaltLen)
	}
	if k.ICVBits != 96 && k.ICVBits != 128 {
		return fmt.Errorf("%w: ICV length %d bits for SPI %d; want 96 or 128", ErrIPsecKey, k.ICVBits, k.SPI)
	}
	return nil
}

// Line returns k as the Secret value Cilium reads, without a trailing newline. The result
// contains the key: store it only in a Secret.
func (k IPsecKey) Line() string {
	plus := ""
	if k.PerTunnel {
		plus = "+"
	}
	return strconv.Itoa(int(k.SPI)) + plus + " " + IPsecAlgorithm + " " + hex.EncodeToString(k.Key) + " " + strconv.Itoa(k.ICVBits)
}

// String describes k without the key, e.g. "3+ rfc4106(gcm(aes)) [20 bytes redacted] 128".
func (k IPsecKey) String() string {
	plus := ""
	if k.PerTunnel {
		plus = "+"
	}
	return fmt.Sprintf("%d%s %s [%d bytes redacted] %d", k.SPI, plus, IPsecAlgorithm, len(k.Key), k.ICVBits)
}

// GoString is String, so that %#v does not reveal the key either.
func (k IPsecKey) GoString() string { return "encryption.IPsecKey{" + k.String() + "}" }

// ParseIPsecKey parses one key line in IPsecKey's format: four fields separated by single
// spaces; an optional trailing newline and an optional "0x" before the hex key are
// accepted, as Cilium accepts them. Only the rfc4106(gcm(aes)) AEAD form is supported. It
// fails with ErrSPI or ErrIPsecKey; errors describe fields that might hold key material by
// position and length only, never by value.
func ParseIPsecKey(line string) (IPsecKey, error) {
	line = strings.TrimSuffix(line, "\n")
	f := strings.Split(line, " ")
	if len(f) != 4 {
		return IPsecKey{}, fmt.Errorf("%w: %d space-separated fields; want 4: <spi>[+] %s <hex key> <icv bits>", ErrIPsecKey, len(f), IPsecAlgorithm)
	}
	var k IPsecKey
	spi, plus := strings.CutSuffix(f[0], "+")
	n, err := strconv.ParseUint(spi, 10, 8)
	if err != nil {
		return IPsecKey{}, fmt.Errorf("%w: field 1 %s is not a number", ErrSPI, show(f[0]))
	}
	k.SPI, k.PerTunnel = uint8(n), plus
	if f[1] != IPsecAlgorithm {
		return IPsecKey{}, fmt.Errorf("%w: field 2 %s is not %s", ErrIPsecKey, show(f[1]), IPsecAlgorithm)
	}
	hexKey := strings.TrimPrefix(f[2], "0x")
	k.Key, err = hex.DecodeString(hexKey)
	if err != nil {
		return IPsecKey{}, fmt.Errorf("%w: field 3 (%d characters) is not hex", ErrIPsecKey, len(f[2]))
	}
	k.ICVBits, err = strconv.Atoi(f[3])
	if err != nil {
		return IPsecKey{}, fmt.Errorf("%w: field 4 %s is not a number", ErrIPsecKey, show(f[3]))
	}
	if err := k.Validate(); err != nil {
		return IPsecKey{}, err
	}
	return k, nil
}

// show quotes a field of a key line for an error message only when it cannot carry key
// material: at most 4 characters, or at most 24 with a character that is not a hex digit.
// Anything else is described by its length.
func show(field string) string {
	if len(field) <= 4 || (len(field) <= 24 && strings.Trim(field, "0123456789abcdefABCDEFx") != "") {
		return strconv.Quote(field)
	}
	return fmt.Sprintf("(%d characters)", len(field))
}
