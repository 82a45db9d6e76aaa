package config

import (
	"fmt"
	"strings"

	"github.com/agnivade/levenshtein"
	"github.com/spf13/pflag"
)

// set gives flag f the value v, as YAML or the environment has it: a
// string, a number, a bool, a list or nothing (null). The error says what
// kind of value f wants, quoting v unless f holds a secret.
func set(fs *pflag.FlagSet, f *pflag.Flag, v any) error {
	if list, ok := v.([]any); ok {
		sv, ok := f.Value.(pflag.SliceValue)
		if !ok {
			return fmt.Errorf("a list, want %s", kindOf(f))
		}
		items := make([]string, len(list))
		for i, item := range list {
			items[i] = scalar(item)
		}
		if err := sv.Replace(items); err != nil {
			return badValue(f, fmt.Sprint(items))
		}
		f.Changed = true
		return nil
	}
	if _, ok := v.(map[string]any); ok {
		return fmt.Errorf("a mapping, want %s", kindOf(f))
	}
	s := scalar(v)
	if err := fs.Set(f.Name, s); err != nil {
		return badValue(f, s)
	}
	return nil
}

// scalar is v as a flag reads it on the command line; null is "".
func scalar(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func badValue(f *pflag.Flag, s string) error {
	if IsSecret(f.Name) {
		return fmt.Errorf("the value is not %s", kindOf(f))
	}
	return fmt.Errorf("%q is not %s", s, kindOf(f))
}

// kindOf names the values f takes, for an error.
func kindOf(f *pflag.Flag) string {
	t := f.Value.Type()
	switch {
	case t == "duration":
		return "a duration (such as 500ms, 30s, 5m or 2h)"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		if strings.HasSuffix(t, "Slice") {
			return "a list of integers"
		}
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasSuffix(t, "Slice") || strings.HasSuffix(t, "Array"):
		return "a list"
	}
	return "a " + t
}

// closest is the flag of fs nearest to key (a typo, _ for -, a case
// slip), "" when none is near enough to be the obvious one.
func closest(fs *pflag.FlagSet, key string) string {
	norm := strings.ToLower(strings.ReplaceAll(key, "_", "-"))
	best, bestD := "", len(norm)/3+1
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name == FlagName {
			return
		}
		if d := levenshtein.ComputeDistance(norm, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	})
	return best
}
