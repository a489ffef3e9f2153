package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// flagSpelling finds a flag's spelling ("--name") in an error text.
var flagSpelling = regexp.MustCompile(`(?:^|[^-\w])--[a-z][a-z-]*`)

// errorConstructors are the calls that build an error from text.
var errorConstructors = map[string]bool{"fmt.Errorf": true, "errors.New": true}

// TestLibrariesNameNoFlags: the packages under internal/ describe problems in words
// and sentinels; only cmd/virnucpro (advice.go) names the flags that fix them, so a
// library used by another front end never tells its user about our command line.
// Every string literal inside an error constructor's arguments is checked, so text
// split over concatenated lines is seen too.
func TestLibrariesNameNoFlags(t *testing.T) {
	root := filepath.Join("..", "..", "internal")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok && errorConstructors[calleeName(call)] {
				for _, lit := range stringLiterals(call.Args) {
					if m := flagSpelling.FindString(lit.Value); m != "" {
						t.Errorf("%s: a library error names a flag: %s", fset.Position(lit.Pos()), strings.TrimSpace(m))
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// calleeName is "pkg.Func" for a call of a package-qualified function, else "".
func calleeName(call *ast.CallExpr) string {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok {
		return ""
	}
	return pkg.Name + "." + sel.Sel.Name
}

// stringLiterals returns the string literals anywhere inside exprs.
func stringLiterals(exprs []ast.Expr) []*ast.BasicLit {
	var lits []*ast.BasicLit
	for _, e := range exprs {
		ast.Inspect(e, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				lits = append(lits, lit)
			}
			return true
		})
	}
	return lits
}
