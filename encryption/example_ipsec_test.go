package encryption_test

import (
	"fmt"

	"github.com/ciliumkit/ciliumkit/encryption"
)

func ExampleParseIPsecKey() {
	k, err := encryption.ParseIPsecKey("3+ rfc4106(gcm(aes)) 6254fced5f7a5ea9401b9015ecf10d65eac51a69 128")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(k) // the key itself is never printed
	fmt.Println("next key ID:", encryption.NextSPI(k.SPI))

	_, err = encryption.ParseIPsecKey("16+ rfc4106(gcm(aes)) 6254fced5f7a5ea9401b9015ecf10d65eac51a69 128")
	fmt.Println(err)
	// Output:
	// 3+ rfc4106(gcm(aes)) [20 bytes redacted] 128
	// next key ID: 4
	// encryption: invalid IPsec SPI: 16 outside 1-15
}

func ExampleIPsecValues() {
	vals, err := encryption.IPsecValues(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	enc := vals["encryption"].(map[string]any)
	fmt.Println(enc["enabled"], enc["type"], enc["ipsec"])
	// Output:
	// true ipsec map[keyFile:keys secretName:cilium-ipsec-keys]
}
