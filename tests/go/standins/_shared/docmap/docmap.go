// Package docmap turns Go values into documents (map[string]any) and back,
// the way document-store client libraries do with a struct tag
// (`firestore:"name"`, `bson:"name"`, `bigquery:"name"`, `spanner:"name"`).
//
// It lives in the module standins.test/shared (tests/go/standins/_shared),
// shared by the stand-ins that use it.
package docmap

import (
	"fmt"
	"reflect"
	"strings"
)

// ToMap turns a map with string keys, a struct or a pointer to either into a
// new document. Struct fields are named by tag, else by field name (lowered
// for the "bson" tag, as the Mongo driver does); "-" skips a field and
// ",omitempty" skips a zero value.
func ToMap(v any, tag string) (map[string]any, error) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil, fmt.Errorf("cannot use nil %T as a document", v)
		}
		rv = rv.Elem()
	}
	doc := map[string]any{}
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("cannot use %T as a document: keys must be strings", v)
		}
		for it := rv.MapRange(); it.Next(); {
			doc[it.Key().String()] = it.Value().Interface()
		}
	case reflect.Struct:
		t := rv.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, omitEmpty, ok := fieldName(f, tag)
			if !ok || (omitEmpty && rv.Field(i).IsZero()) {
				continue
			}
			doc[name] = rv.Field(i).Interface()
		}
	default:
		return nil, fmt.Errorf("cannot use %T as a document", v)
	}
	return doc, nil
}

// FromMap stores doc into dst, which must be a non-nil pointer to a map with
// string keys or to a struct. Struct fields missing from doc are left alone.
func FromMap(doc map[string]any, dst any, tag string) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("cannot decode into %T: need a non-nil pointer", dst)
	}
	rv = rv.Elem()
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("cannot decode into %T: keys must be strings", dst)
		}
		m := reflect.MakeMapWithSize(rv.Type(), len(doc))
		for k, v := range doc {
			ev := reflect.New(rv.Type().Elem()).Elem()
			if err := Assign(ev, v); err != nil {
				return fmt.Errorf("field %q: %w", k, err)
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(rv.Type().Key()), ev)
		}
		rv.Set(m)
	case reflect.Struct:
		t := rv.Type()
		for i := 0; i < t.NumField(); i++ {
			name, _, ok := fieldName(t.Field(i), tag)
			if !ok {
				continue
			}
			if v, found := doc[name]; found {
				if err := Assign(rv.Field(i), v); err != nil {
					return fmt.Errorf("field %q: %w", name, err)
				}
			}
		}
	default:
		return fmt.Errorf("cannot decode into %T", dst)
	}
	return nil
}

// Assign sets dst to v, converting between numeric kinds and from string to
// []byte and back. A nil v sets the zero value.
func Assign(dst reflect.Value, v any) error {
	if v == nil {
		dst.SetZero()
		return nil
	}
	src := reflect.ValueOf(v)
	switch {
	case src.Type().AssignableTo(dst.Type()):
		dst.Set(src)
	case isNumber(src.Kind()) && isNumber(dst.Kind()),
		src.Kind() == reflect.String && dst.Kind() == reflect.String,
		src.Kind() == reflect.String && dst.Type() == reflect.TypeOf([]byte(nil)),
		src.Type() == reflect.TypeOf([]byte(nil)) && dst.Kind() == reflect.String:
		dst.Set(src.Convert(dst.Type()))
	case src.Kind() == reflect.Pointer && !src.IsNil():
		return Assign(dst, src.Elem().Interface())
	case dst.Kind() == reflect.Pointer:
		p := reflect.New(dst.Type().Elem())
		if err := Assign(p.Elem(), v); err != nil {
			return err
		}
		dst.Set(p)
	default:
		return fmt.Errorf("cannot assign %T to %s", v, dst.Type())
	}
	return nil
}

func isNumber(k reflect.Kind) bool {
	return (k >= reflect.Int && k <= reflect.Uint64) || k == reflect.Float32 || k == reflect.Float64
}

func fieldName(f reflect.StructField, tag string) (name string, omitEmpty, ok bool) {
	if !f.IsExported() {
		return "", false, false
	}
	parts := strings.Split(f.Tag.Get(tag), ",")
	if parts[0] == "-" {
		return "", false, false
	}
	for _, p := range parts[1:] {
		omitEmpty = omitEmpty || p == "omitempty"
	}
	name = parts[0]
	if name == "" {
		name = f.Name
		if tag == "bson" {
			name = strings.ToLower(name)
		}
	}
	return name, omitEmpty, true
}
