// Package config gives every flag of a command a value from, in order of
// precedence, the command line, an INTEGRATION_EVENTS_* environment
// variable, a YAML configuration file, and the flag's default. A key of the
// file is the flag's name (disable-after: 3); its variable is the name in
// upper case with _ for - (INTEGRATION_EVENTS_DISABLE_AFTER). Flags added
// later need no code here: every flag is a key.
package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
	goyaml "go.yaml.in/yaml/v3"
)

// EnvPrefix prefixes the environment variable of every flag.
const EnvPrefix = "INTEGRATION_EVENTS_"

// FlagName is the flag that names the configuration file.
const FlagName = "config"

// ErrUnknownKey is wrapped by the error of a key of the file that is no flag.
var ErrUnknownKey = errors.New("unknown key")

// ErrUnknownVariable is wrapped by the error of an INTEGRATION_EVENTS_*
// variable that names no flag of any command of the binary.
var ErrUnknownVariable = errors.New("unknown variable")

// delim nests keys in koanf; flag names never hold it, so a nested key of
// the file (http: {listen: ...}) reads as http.listen and is refused.
const delim = "."

// AddFlag adds --config to fs.
func AddFlag(fs *pflag.FlagSet) {
	fs.String(FlagName, "", "YAML file of flag values, keys named like the flags (disable-after: 3); flags and INTEGRATION_EVENTS_* variables win over it")
}

// EnvName is the environment variable of flag name:
// INTEGRATION_EVENTS_DATA_DIR for data-dir.
func EnvName(name string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// secretName matches the flags whose values are never quoted in an error.
var secretName = regexp.MustCompile(`password|token|secret|seed`)

// IsSecret reports whether flag name holds a credential (http-token,
// nats-password, ...): its value is never echoed.
func IsSecret(name string) bool { return secretName.MatchString(name) }

// Apply sets every flag of fs that the command line did not give from its
// environment variable or, failing that, from the configuration file named
// by --config (or INTEGRATION_EVENTS_CONFIG). environ lists the environment
// as os.Environ does; nil means os.Environ. A flag set this way counts as
// changed. Errors name the key and where it came from: an unknown key of
// the file (with the closest flag when one is close), a value that does not
// parse, a file that cannot be read or is not YAML, and a variable that is
// neither a flag of all (every flag of the binary's commands; nil means fs)
// nor one of vars (read elsewhere), with the closest flag's variable when
// one is close. Another command's variable is left to that command.
func Apply(fs *pflag.FlagSet, environ func() []string, all *pflag.FlagSet, vars ...string) error {
	if environ == nil {
		environ = os.Environ
	}
	if all == nil {
		all = fs
	}
	var unknown []string
	fromEnv := koanf.New(delim)
	err := fromEnv.Load(env.Provider(delim, env.Opt{
		Prefix:      EnvPrefix,
		EnvironFunc: environ,
		TransformFunc: func(k, v string) (string, any) {
			if name := flagOfEnv(fs, k); name != "" {
				return name, v
			}
			if flagOfEnv(all, k) == "" && !slices.Contains(vars, k) {
				unknown = append(unknown, k)
			}
			return "", nil // another command's variable
		},
	}), nil)
	if err != nil {
		return err
	}
	if err := checkVariables(all, unknown); err != nil {
		return err
	}
	path, err := filePath(fs, fromEnv)
	if err != nil {
		return err
	}
	fromFile := koanf.New(delim)
	if path != "" {
		if err := fromFile.Load(file.Provider(path), yaml.Parser()); err != nil {
			return fmt.Errorf("config %s: %w", path, fileError(err, path))
		}
		if err := checkKeys(fs, fromFile.Keys()); err != nil {
			return fmt.Errorf("config %s: %w", path, err)
		}
	}
	// The merged view: file, then environment over it, then the flags the
	// command line gave over both, with defaults for the rest.
	merged := koanf.New(delim)
	if err := merged.Merge(fromFile); err != nil {
		return err
	}
	if err := merged.Merge(fromEnv); err != nil {
		return err
	}
	if err := merged.Load(posflag.Provider(fs, delim, merged), nil); err != nil {
		return err
	}
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == FlagName {
			return
		}
		var where string
		switch {
		case fromEnv.Exists(f.Name):
			where = EnvName(f.Name)
		case fromFile.Exists(f.Name):
			where = "config " + path + ": " + f.Name
		default:
			return
		}
		if err := set(fs, f, merged.Get(f.Name)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
	})
	return errors.Join(errs...)
}

// filePath is the configuration file: --config, else INTEGRATION_EVENTS_CONFIG.
func filePath(fs *pflag.FlagSet, fromEnv *koanf.Koanf) (string, error) {
	f := fs.Lookup(FlagName)
	if f == nil {
		return "", nil
	}
	if !f.Changed && fromEnv.Exists(FlagName) {
		if err := fs.Set(FlagName, fromEnv.String(FlagName)); err != nil {
			return "", err
		}
	}
	return f.Value.String(), nil
}

// flagOfEnv is the flag whose variable is k, "" for none.
func flagOfEnv(fs *pflag.FlagSet, k string) string {
	var name string
	fs.VisitAll(func(f *pflag.Flag) {
		if EnvName(f.Name) == k {
			name = f.Name
		}
	})
	return name
}

// checkVariables refuses the variables unknown, none of which names a
// flag; their values are never quoted.
func checkVariables(all *pflag.FlagSet, unknown []string) error {
	slices.Sort(unknown)
	var errs []error
	for _, k := range unknown {
		if near := closest(all, strings.TrimPrefix(k, EnvPrefix)); near != "" {
			errs = append(errs, fmt.Errorf("%w %q (did you mean %q?)", ErrUnknownVariable, k, EnvName(near)))
		} else {
			errs = append(errs, fmt.Errorf("%w %q: no flag of any command is named so", ErrUnknownVariable, k))
		}
	}
	return errors.Join(errs...)
}

// checkKeys refuses keys that are no flag of fs, and the key config itself
// (a file does not name another file). A key nested under a flag is that
// flag given a mapping; nothing under a secret's name is quoted (a secret
// written as a mapping's key would be).
func checkKeys(fs *pflag.FlagSet, keys []string) error {
	var errs []error
	slices.Sort(keys)
	said := map[string]bool{}
	for _, k := range keys {
		if k != FlagName && fs.Lookup(k) != nil {
			continue
		}
		k = shownKey(k)
		if said[k] {
			continue
		}
		said[k] = true
		top, _, _ := strings.Cut(k, delim)
		switch near := closest(fs, k); {
		case top != FlagName && fs.Lookup(top) != nil:
			errs = append(errs, fmt.Errorf("key %q: a mapping, want %s", top, kindOf(fs.Lookup(top))))
		case k == FlagName:
			errs = append(errs, fmt.Errorf("key %q: a configuration file cannot name another; give --config or %s", k, EnvName(FlagName)))
		case near != "":
			errs = append(errs, fmt.Errorf("%w %q (did you mean %q?)", ErrUnknownKey, k, near))
		default:
			errs = append(errs, fmt.Errorf("%w %q", ErrUnknownKey, k))
		}
	}
	return errors.Join(errs...)
}

// shownKey is nested key k (a.b.c) as far as an error may quote it: up to
// and including its first secret name.
func shownKey(k string) string {
	parts := strings.Split(k, delim)
	for i, p := range parts {
		if IsSecret(p) {
			return strings.Join(parts[:i+1], delim)
		}
	}
	return k
}

// fileError is why the file at path could not be loaded, without the
// *os.PathError's repetition of the path, and without the value YAML
// quotes when the file is no mapping (a file holding only a token would
// be printed). A key given twice is named, with its lines (duplicateKeys).
func fileError(err error, path string) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	var te *goyaml.TypeError
	if errors.As(err, &te) {
		if data, rerr := os.ReadFile(path); rerr == nil {
			if dup := duplicateKeys(data); dup != nil {
				return dup
			}
		}
		return errors.New("not a YAML mapping of keys to values (disable-after: 3)")
	}
	return err
}
