package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// position is a 1-based line and column in the source file.
type position struct{ Line, Column int }

// positions maps a field path ("replica_sets[0].members[1].host") to where
// it was written, so that validation can point at the line.
type positions map[string]position

// lookup returns the position of path, or of its closest written ancestor.
func (p positions) lookup(path string) position {
	for path != "" {
		if pos, ok := p[path]; ok {
			return pos
		}
		cut := strings.LastIndexAny(path, ".[")
		if cut < 0 {
			break
		}
		path = path[:cut]
	}
	return p[""]
}

// decoder turns a YAML AST into Go values, collecting every problem instead
// of stopping at the first, and remembering where each field was written.
type decoder struct {
	ps      *problems
	anchors map[string]ast.Node
	depth   int
	nodes   int // decoded so far: bounds alias expansion ("billion laughs")
}

// maxNodes bounds the values one file may expand to through aliases.
const maxNodes = 100_000

var durationType = reflect.TypeOf(Duration(0))

func nodePos(n ast.Node) position {
	if n == nil || n.GetToken() == nil {
		return position{}
	}
	t := n.GetToken()
	return position{Line: t.Position.Line, Column: t.Position.Column}
}

// valuePos points at a scalar value (what a problem is about) and at the key
// of a section or list (where it starts).
func valuePos(kv *ast.MappingValueNode) position {
	if _, ok := kv.Value.(ast.ScalarNode); ok {
		if p := nodePos(kv.Value); p.Line > 0 {
			return p
		}
	}
	return nodePos(kv.Key)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// unwrap removes tags and anchors and resolves aliases.
func (d *decoder) unwrap(n ast.Node, path string) ast.Node {
	for i := 0; i < 32 && n != nil; i++ {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			if name, ok := v.Name.(ast.ScalarNode); ok {
				d.anchors[fmt.Sprint(name.GetValue())] = v.Value
			}
			n = v.Value
		case *ast.AliasNode:
			name := ""
			if v.Value != nil {
				name = v.Value.String()
			}
			target, ok := d.anchors[name]
			if !ok {
				d.ps.at(path, "define the anchor (&"+name+") before using it", "unknown alias *%s", name)
				return nil
			}
			n = target
		default:
			return n
		}
	}
	return n
}

// decode fills v (settable) from node, recording problems under path.
func (d *decoder) decode(node ast.Node, v reflect.Value, path string) {
	d.depth++
	d.nodes++
	defer func() { d.depth-- }()
	if d.depth > 64 {
		d.ps.at(path, "", "nesting too deep")
		return
	}
	if d.nodes == maxNodes {
		d.ps.at(path, "aliases expand the file too much; write the values out", "more than %d values after alias expansion", maxNodes)
	}
	if d.nodes >= maxNodes {
		return
	}
	node = d.unwrap(node, path)
	if node == nil {
		return
	}
	if _, isNull := node.(*ast.NullNode); isNull {
		return // absent: keep the zero value
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		before := len(d.ps.list)
		d.decode(node, v.Elem(), path)
		if len(d.ps.list) > before && v.Elem().Kind() != reflect.Struct {
			// An optional value written wrong (priority: "high") stays
			// unset: its problem is reported once, and the checks that
			// read it see the default instead of a zero that would add
			// made-up problems ("no electable member").
			v.Set(reflect.Zero(v.Type()))
		}
	case reflect.Struct:
		d.decodeStruct(node, v, path)
	case reflect.Slice:
		d.decodeSlice(node, v, path)
	case reflect.Map:
		d.decodeMap(node, v, path)
	default:
		d.decodeScalar(node, v, path)
	}
}

func (d *decoder) mapping(node ast.Node, path, what string) *ast.MappingNode {
	switch m := node.(type) {
	case *ast.MappingNode:
		return m
	case *ast.MappingValueNode:
		return &ast.MappingNode{BaseNode: m.BaseNode, Values: []*ast.MappingValueNode{m}}
	}
	d.ps.at(path, "", "expected %s (a mapping of keys), found %s", what, describe(node))
	return nil
}

func (d *decoder) decodeStruct(node ast.Node, v reflect.Value, path string) {
	m := d.mapping(node, path, "a section")
	if m == nil {
		return
	}
	fields := yamlFields(v.Type())
	for _, kv := range m.Values {
		if _, merge := kv.Key.(*ast.MergeKeyNode); merge {
			d.ps.pos[path+".<<"] = nodePos(kv.Key)
			d.ps.at(path+".<<", "write the keys out; merge keys are not supported", "merge key (<<) not supported")
			continue
		}
		key := keyString(kv.Key)
		fpath := join(path, key)
		d.ps.pos[fpath] = valuePos(kv)
		idx, ok := fields[key]
		if !ok {
			d.ps.pos[fpath] = nodePos(kv.Key)
			d.unknownKey(fpath, key, fields)
			continue
		}
		d.decode(kv.Value, v.Field(idx), fpath)
	}
}

func (d *decoder) decodeSlice(node ast.Node, v reflect.Value, path string) {
	seq, ok := node.(*ast.SequenceNode)
	if !ok {
		d.ps.at(path, "write one item per line starting with '- '", "expected a list, found %s", describe(node))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, item := range seq.Values {
		ipath := fmt.Sprintf("%s[%d]", path, i)
		d.ps.pos[ipath] = nodePos(item)
		d.decode(item, out.Index(i), ipath)
	}
	v.Set(out)
}

func (d *decoder) decodeMap(node ast.Node, v reflect.Value, path string) {
	m := d.mapping(node, path, "a mapping")
	if m == nil {
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for _, kv := range m.Values {
		key := keyString(kv.Key)
		kpath := join(path, key)
		d.ps.pos[kpath] = valuePos(kv)
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(kv.Value, elem, kpath)
		v.SetMapIndex(reflect.ValueOf(key), elem)
	}
}

// scalarText returns the literal text of a scalar node and its YAML type.
func scalarText(node ast.Node) (string, ast.NodeType, bool) {
	switch n := node.(type) {
	case *ast.StringNode:
		return n.Value, n.Type(), true
	case *ast.LiteralNode:
		return n.Value.Value, n.Type(), true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, n.Type(), true
	}
	return "", node.Type(), false
}

func (d *decoder) decodeScalar(node ast.Node, v reflect.Value, path string) {
	text, typ, ok := scalarText(node)
	if !ok {
		d.ps.at(path, "", "expected a single value, found %s", describe(node))
		return
	}
	if v.Type() == durationType {
		d.decodeDuration(text, typ, v, path)
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(text)
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		if typ != ast.BoolType || err != nil {
			d.ps.at(path, "write true or false", "expected true or false, found %q", text)
			return
		}
		v.SetBool(b)
	case reflect.Int:
		n, err := strconv.ParseInt(strings.ReplaceAll(text, "_", ""), 0, 64)
		if typ != ast.IntegerType || err != nil || n > math.MaxInt32 || n < math.MinInt32 {
			d.ps.at(path, "", "expected a whole number, found %q", text)
			return
		}
		v.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(text, 64)
		if (typ != ast.IntegerType && typ != ast.FloatType) || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.ps.at(path, "", "expected a number, found %q", text)
			return
		}
		v.SetFloat(f)
	default:
		d.ps.at(path, "", "cannot decode into %s", v.Type())
	}
}

func (d *decoder) decodeDuration(text string, typ ast.NodeType, v reflect.Value, path string) {
	if typ == ast.IntegerType && text == "0" {
		v.SetInt(0)
		return
	}
	dur, err := time.ParseDuration(text)
	if typ != ast.StringType || err != nil {
		d.ps.at(path, "write a Go duration such as 500ms, 10s, 1m30s or 2h", "invalid duration %q", text)
		return
	}
	if dur < 0 {
		d.ps.at(path, "", "duration %q is negative", text)
		return
	}
	v.SetInt(int64(dur))
}

// secretKeys are keys an operator might write with a secret in clear.
var secretKeys = map[string]string{
	"password": "password_env", "secret_key": "secret_key_env", "access_key": "access_key_env",
	"token": "token_env", "secret": "…_env", "uri": "uri_env",
}

func (d *decoder) unknownKey(path, key string, fields map[string]int) {
	if env, ok := secretKeys[key]; ok {
		d.ps.at(path, fmt.Sprintf("secrets are never written in the file: put it in an environment variable and name it with %s (or a file with the _file key)", env),
			"unknown key %q", key)
		return
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	hint := "allowed keys: " + strings.Join(sortedStrings(names), ", ")
	if best := closest(key, names); best != "" {
		hint = fmt.Sprintf("did you mean %q? %s", best, hint)
	}
	d.ps.at(path, hint, "unknown key %q", key)
}

func keyString(k ast.MapKeyNode) string {
	if s, ok := k.(ast.ScalarNode); ok {
		return fmt.Sprint(s.GetValue())
	}
	return k.String()
}

func describe(n ast.Node) string {
	switch n.Type() {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	case ast.StringType, ast.LiteralType:
		return "text"
	case ast.IntegerType, ast.FloatType:
		return "a number"
	case ast.BoolType:
		return "a boolean"
	}
	return strings.ToLower(n.Type().String())
}

// yamlFields maps yaml key names to field indexes.
func yamlFields(t reflect.Type) map[string]int {
	out := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		out[tag] = i
	}
	return out
}
