package catalog

import (
	"strconv"
	"unicode/utf8"
)

// decodeDocument reads the JSON document of a recorded schema as Encode
// writes it, without reflection: json.Unmarshal spent most of a plan's
// catalog decoding finding fields by name. It accepts only what Encode
// writes (no whitespace, no null, no escapes, no duplicate or unknown
// field, text that is valid UTF-8, lengths of up to 18 digits) and gives up,
// ok false, on anything else, which the caller then hands to
// json.Unmarshal; what it accepts it reads as json.Unmarshal would (an
// empty array is an empty slice, not nil).
func decodeDocument(b []byte) (d document, ok bool) {
	r := reader{b: b}
	ok = r.object(func(field []byte) bool {
		switch string(field) {
		case "profile":
			return r.array(func() bool {
				a, ok := r.attribute()
				d.Profile = append(d.Profile, a)
				return ok
			}, func() { d.Profile = []attribute{} })
		case "extensions":
			return r.array(func() bool {
				e, ok := r.extension()
				d.Extensions = append(d.Extensions, e)
				return ok
			}, func() { d.Extensions = []extension{} })
		case "keys":
			return r.array(func() bool {
				k, ok := r.key()
				d.Keys = append(d.Keys, k)
				return ok
			}, func() { d.Keys = []key{} })
		}
		return false
	})
	return d, ok && r.i == len(b)
}

// reader reads JSON as Encode writes it from b, at i.
type reader struct {
	b []byte
	i int
}

func (r *reader) byte(c byte) bool {
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// object reads an object, calling field for each of its fields with the
// reader at the field's value; a field name may come once. The name is
// the document's bytes, valid until the next read (switch on
// string(name) allocates nothing).
func (r *reader) object(field func(name []byte) bool) bool {
	if !r.byte('{') {
		return false
	}
	if r.byte('}') {
		return true
	}
	var seen [8][]byte // Encode writes at most 6 fields in an object
	n := 0
	for {
		name, ok := r.text()
		if !ok || !r.byte(':') || n == len(seen) {
			return false
		}
		for _, s := range seen[:n] {
			if string(s) == string(name) {
				return false
			}
		}
		seen[n] = name
		n++
		if !field(name) {
			return false
		}
		if r.byte('}') {
			return true
		}
		if !r.byte(',') {
			return false
		}
	}
}

// array reads an array, calling elem for each element; empty is called
// for an array without elements.
func (r *reader) array(elem func() bool, empty func()) bool {
	if !r.byte('[') {
		return false
	}
	if r.byte(']') {
		empty()
		return true
	}
	for {
		if !elem() {
			return false
		}
		if r.byte(']') {
			return true
		}
		if !r.byte(',') {
			return false
		}
	}
}

// string reads a string without escapes or control characters, of valid
// UTF-8 (json.Unmarshal replaces invalid bytes).
func (r *reader) string() (string, bool) {
	b, ok := r.text()
	return string(b), ok
}

// text is string without the string: the bytes between the quotes.
func (r *reader) text() ([]byte, bool) {
	if !r.byte('"') {
		return nil, false
	}
	start := r.i
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			s := r.b[start:r.i]
			r.i++
			if !utf8.Valid(s) {
				return nil, false
			}
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		r.i++
	}
	return nil, false
}

func (r *reader) strings() ([]string, bool) {
	var out []string
	ok := r.array(func() bool {
		s, ok := r.string()
		out = append(out, s)
		return ok
	}, func() { out = []string{} })
	return out, ok
}

// bool reads true or false.
func (r *reader) bool() (bool, bool) {
	for _, w := range []string{"true", "false"} {
		if len(r.b)-r.i >= len(w) && string(r.b[r.i:r.i+len(w)]) == w {
			r.i += len(w)
			return w == "true", true
		}
	}
	return false, false
}

// int reads an integer as JSON writes it: an optional minus, then 0 or
// digits without a leading zero; at most 18 digits, so that it fits.
func (r *reader) int() (int, bool) {
	start := r.i
	r.byte('-')
	digits := r.i
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		r.i++
	}
	n := r.i - digits
	if n == 0 || n > 18 || n > 1 && r.b[digits] == '0' {
		return 0, false
	}
	if r.i < len(r.b) && (r.b[r.i] == '.' || r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		return 0, false
	}
	v, err := strconv.Atoi(string(r.b[start:r.i]))
	return v, err == nil
}

func (r *reader) attribute() (a attribute, ok bool) {
	ok = r.object(func(field []byte) bool {
		var ok bool
		switch string(field) {
		case "name":
			a.Name, ok = r.string()
		case "type":
			a.Type, ok = r.string()
		case "length":
			a.Length, ok = r.int()
		case "default":
			var s string
			s, ok = r.string()
			a.Default = &s
		case "mandatory":
			a.Mandatory, ok = r.bool()
		case "encrypt":
			a.Encrypt, ok = r.bool()
		}
		return ok
	})
	return a, ok
}

func (r *reader) extension() (e extension, ok bool) {
	ok = r.object(func(field []byte) bool {
		var ok bool
		switch string(field) {
		case "name":
			e.Name, ok = r.string()
		case "type":
			e.Type, ok = r.string()
		case "attributes":
			ok = r.array(func() bool {
				a, ok := r.attribute()
				e.Attributes = append(e.Attributes, a)
				return ok
			}, func() { e.Attributes = []attribute{} })
		case "unique":
			ok = r.array(func() bool {
				item, ok := r.strings()
				e.Unique = append(e.Unique, item)
				return ok
			}, func() { e.Unique = [][]string{} })
		}
		return ok
	})
	return e, ok
}

func (r *reader) key() (k key, ok bool) {
	ok = r.object(func(field []byte) bool {
		var ok bool
		switch string(field) {
		case "name":
			k.Name, ok = r.string()
		case "source":
			k.Source, ok = r.string()
		case "attributes":
			k.Attributes, ok = r.strings()
		case "unique":
			k.Unique, ok = r.bool()
		}
		return ok
	})
	return k, ok
}
