package cdr

import "flag"

// update rewrites the golden files of every test in this package that has
// them: go test ./cdr -update.
var update = flag.Bool("update", false, "rewrite golden files")
