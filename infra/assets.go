package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// lambdaFunctions are the functions the Makefile builds into
// <assetDir>/<fn>/bootstrap (docs/architecture.md).
var lambdaFunctions = []string{"api", "sender", "sweep", "delivery"}

// lambdaAssetDirs checks that <assetDir>/<fn>/bootstrap exists for every
// function and returns the absolute asset directory of each, keyed by
// function name. The error names every missing binary and says how to build
// them.
func lambdaAssetDirs(assetDir string) (map[string]string, error) {
	root, err := filepath.Abs(assetDir)
	if err != nil {
		return nil, fmt.Errorf("lambda assets: %w", err)
	}
	dirs := make(map[string]string, len(lambdaFunctions))
	var missing []error
	for _, fn := range lambdaFunctions {
		dir := filepath.Join(root, fn)
		bin := filepath.Join(dir, "bootstrap")
		info, err := os.Stat(bin)
		if err != nil || !info.Mode().IsRegular() {
			missing = append(missing, fmt.Errorf("missing %s", bin))
			continue
		}
		dirs[fn] = dir
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("lambda binaries not built: run make build (or pass -c %s=DIR with DIR/<fn>/bootstrap): %w",
			ctxAssetDir, errors.Join(missing...))
	}
	return dirs, nil
}

// relayImageContext checks that the relay's Docker build context and
// Dockerfile exist and returns the absolute build context.
func relayImageContext(dir, dockerfile string) (string, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("relay image: %w", err)
	}
	if _, err := os.Stat(filepath.Join(root, dockerfile)); err != nil {
		return "", fmt.Errorf("relay image: %s not found in %s (the relay's Dockerfile builds ./media-task)", dockerfile, root)
	}
	return root, nil
}
