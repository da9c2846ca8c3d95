package encryption_test

import (
	"fmt"
	"time"

	"github.com/ciliumkit/ciliumkit/encryption"
)

func ExampleWireGuardValues() {
	vals, err := encryption.WireGuardValues(&encryption.WireGuardOptions{
		NodeEncryption:      true,
		PersistentKeepalive: 25 * time.Second,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	enc := vals["encryption"].(map[string]any)
	fmt.Println(enc["enabled"], enc["type"], enc["nodeEncryption"], enc["wireguard"])
	// Output:
	// true wireguard true map[persistentKeepalive:25s]
}
