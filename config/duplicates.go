package config

import (
	"errors"
	"fmt"

	goyaml "go.yaml.in/yaml/v3"
)

// duplicateKeys returns an error naming each key that YAML document data
// gives twice in one mapping, with its line and the line of the first
// (line 2: key "n" given twice, first at line 1), or nil when none is. A
// key is named as shownKey shows it, so a duplicate under a secret's name
// names that secret's key only.
func duplicateKeys(data []byte) error {
	var doc goyaml.Node
	if goyaml.Unmarshal(data, &doc) != nil {
		return nil
	}
	var errs []error
	var walk func(n *goyaml.Node, path string)
	walk = func(n *goyaml.Node, path string) {
		switch n.Kind {
		case goyaml.DocumentNode, goyaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case goyaml.MappingNode:
			first := map[string]int{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				key := k.Value
				if path != "" {
					key = path + delim + k.Value
				}
				if at, twice := first[k.Value]; !twice {
					first[k.Value] = k.Line
				} else if shown := shownKey(key); shown == key {
					errs = append(errs, fmt.Errorf("line %d: key %q given twice, first at line %d", k.Line, key, at))
				} else {
					errs = append(errs, fmt.Errorf("line %d: a key under %q given twice, first at line %d", k.Line, shown, at))
				}
				walk(v, key)
			}
		}
	}
	walk(&doc, "")
	return errors.Join(errs...)
}
