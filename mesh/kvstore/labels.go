package kvstore

// isDNS1123Label reports what validation.IsDNS1123Label accepts without its regular
// expression: 1-63 characters of [a-z0-9-], starting and ending with [a-z0-9].
func isDNS1123Label(s string) bool { return isDNSLabel(s, false) }

// isDNS1035Label reports what validation.IsDNS1035Label accepts: the same as
// isDNS1123Label, starting with [a-z].
func isDNS1035Label(s string) bool { return isDNSLabel(s, true) }

func isDNSLabel(s string, letterFirst bool) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c == '-' && i > 0 && i < len(s)-1 || c >= '0' && c <= '9' && (i > 0 || !letterFirst) {
			continue
		}
		return false
	}
	return true
}
