package kvstore

// skip consumes one JSON value of any kind, checking its syntax as encoding/json's scanner
// does (RFC 8259 grammar; strings may hold any bytes from 0x20 up, invalid UTF-8
// included, and the escapes \" \\ \/ \b \f \n \r \t \uXXXX). It returns false on a
// syntax error or nesting deeper than maxSkipDepth.
func (p *fastParser) skip(depth int) bool {
	if depth > maxSkipDepth {
		return false
	}
	switch p.next() {
	case '{':
		p.i++
		if p.next() == '}' {
			p.i++
			return true
		}
		for {
			if !p.skipString() || !p.eat(':') || !p.skip(depth+1) {
				return false
			}
			more, ok := p.more('}')
			if !ok || !more {
				return ok
			}
		}
	case '[':
		p.i++
		if p.next() == ']' {
			p.i++
			return true
		}
		for {
			if !p.skip(depth + 1) {
				return false
			}
			more, ok := p.more(']')
			if !ok || !more {
				return ok
			}
		}
	case '"':
		return p.skipString()
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return p.skipNumber()
	}
	return false
}

func (p *fastParser) skipString() bool {
	if p.next() != '"' {
		return false
	}
	for p.i++; p.i < len(p.data); p.i++ {
		switch c := p.data[p.i]; {
		case c == '"':
			p.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			p.i++
			if p.i >= len(p.data) {
				return false
			}
			switch p.data[p.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if p.i+4 >= len(p.data) {
					return false
				}
				for _, h := range p.data[p.i+1 : p.i+5] {
					if !isHex(h) {
						return false
					}
				}
				p.i += 4
			default:
				return false
			}
		}
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// skipNumber consumes -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (p *fastParser) skipNumber() bool {
	if p.i < len(p.data) && p.data[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.data) && p.data[p.i] == '0':
		p.i++
	case !p.digits():
		return false
	}
	if p.i < len(p.data) && p.data[p.i] == '.' {
		p.i++
		if !p.digits() {
			return false
		}
	}
	if p.i < len(p.data) && (p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		p.i++
		if p.i < len(p.data) && (p.data[p.i] == '+' || p.data[p.i] == '-') {
			p.i++
		}
		if !p.digits() {
			return false
		}
	}
	return true
}

// digits consumes one or more decimal digits.
func (p *fastParser) digits() bool {
	start := p.i
	for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}
