// Package config fills command-line options from the environment and from a YAML file,
// in one place and with strict values. Precedence: a flag given on the command line,
// then the VIRNUCPRO_* environment variable, then the --config file, then the default.
package config

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// EnvPrefix starts every environment variable that sets an option.
const EnvPrefix = "VIRNUCPRO_"

// EnvName is the environment variable of a flag: "max-tokens" -> VIRNUCPRO_MAX_TOKENS.
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// ParseBool accepts exactly 1/true/yes and 0/false/no (any case); anything else is an
// error naming the variable or key it came from.
func ParseBool(source, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes":
		return true, nil
	case "0", "false", "no":
		return false, nil
	}
	return false, fmt.Errorf("%s=%q: want 1/true/yes or 0/false/no", source, v)
}

// skip lists flags that never come from the environment or a config file.
var skip = map[string]bool{"config": true, "help": true, "version": true}

// Apply sets every flag of fs that was not given on the command line, first from the
// environment (environ as os.Environ returns it), then from the YAML file at path
// (skipped when path is empty). Unknown keys in the file, and malformed values anywhere,
// are errors naming their source.
func Apply(fs *pflag.FlagSet, path string, environ []string) error {
	env := make(map[string]string)
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, EnvPrefix) {
			env[k] = v
		}
	}
	var file map[string]fileValue
	if path != "" {
		var err error
		if file, err = readFile(path, fs); err != nil {
			return err
		}
	}
	var firstErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if firstErr != nil || f.Changed || skip[f.Name] {
			return
		}
		name := EnvName(f.Name)
		if v, ok := env[name]; ok {
			firstErr = set(f, name, v)
			return
		}
		if v, ok := file[f.Name]; ok {
			firstErr = set(f, fmt.Sprintf("%s:%d: %s", path, v.line, f.Name), v.text)
		}
	})
	return firstErr
}

func set(f *pflag.Flag, source, v string) error {
	if f.Value.Type() == "bool" {
		b, err := ParseBool(source, v)
		if err != nil {
			return err
		}
		v = strconv.FormatBool(b)
	}
	if err := f.Value.Set(v); err != nil {
		return fmt.Errorf("%s=%q: %s", source, v, setMessage(f, err))
	}
	f.Changed = true
	return nil
}

// setMessage explains a refused value: the flag's own message when it is a custom
// value with one, plain words for the standard types (never Go's strconv text).
func setMessage(f *pflag.Flag, err error) string {
	if strings.Contains(err.Error(), "strconv.") || strings.Contains(err.Error(), "time: ") {
		return ValueHint(f)
	}
	return err.Error()
}

type fileValue struct {
	text string
	line int
}

// readFile parses a flat YAML mapping of flag names to scalars (or lists of scalars,
// joined with commas for list flags).
func readFile(path string, fs *pflag.FlagSet) (map[string]fileValue, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return nil, nil // an empty file sets nothing
		}
		return nil, fmt.Errorf("config %s: %v", path, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config %s:%d: want a mapping of option names to values", path, root.Line)
	}
	out := make(map[string]fileValue)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		name := k.Value
		f := fs.Lookup(name)
		if f == nil || skip[f.Name] {
			return nil, fmt.Errorf("config %s:%d: unknown option %q (known: %s)", path, k.Line, name, strings.Join(known(fs), ", "))
		}
		name = f.Name // an alias (normalized flag name) sets its flag
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("config %s:%d: option %q given twice", path, k.Line, name)
		}
		switch v.Kind {
		case yaml.ScalarNode:
			out[name] = fileValue{text: v.Value, line: v.Line}
		case yaml.SequenceNode:
			parts := make([]string, 0, len(v.Content))
			for _, c := range v.Content {
				if c.Kind != yaml.ScalarNode {
					return nil, fmt.Errorf("config %s:%d: %s: list items must be plain values", path, c.Line, name)
				}
				parts = append(parts, c.Value)
			}
			out[name] = fileValue{text: strings.Join(parts, ","), line: v.Line}
		default:
			return nil, fmt.Errorf("config %s:%d: %s: want a plain value", path, v.Line, name)
		}
	}
	return out, nil
}

func known(fs *pflag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !skip[f.Name] {
			names = append(names, f.Name)
		}
	})
	sort.Strings(names)
	return names
}

// Template returns a commented YAML file listing every option of fs with its default
// value and help text, all commented out, for `virnucpro config init`.
func Template(fs *pflag.FlagSet, title string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n", title)
	b.WriteString("# Every option of the command can be set here; uncomment and edit a line to use it.\n")
	b.WriteString("# Precedence: command-line flag > VIRNUCPRO_<OPTION> environment variable > this file > default.\n")
	b.WriteString("# Booleans: true/false (or yes/no, 1/0).\n\n")
	fs.VisitAll(func(f *pflag.Flag) {
		if skip[f.Name] || f.Hidden {
			return
		}
		fmt.Fprintf(&b, "# %s (env %s)\n", f.Usage, EnvName(f.Name))
		def := f.DefValue
		if def == "" || def == "[]" {
			def = `""`
		} else if strings.ContainsAny(def, ":#{}[],&*?|<>=!%@`'\"") || strings.TrimSpace(def) != def {
			def = strconv.Quote(def)
		}
		fmt.Fprintf(&b, "#%s: %s\n\n", f.Name, def)
	})
	return b.Bytes()
}
