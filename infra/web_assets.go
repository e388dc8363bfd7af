package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// webAssetsPrefix is the key prefix of the web client's content-addressed
// files: /assets/<hash>/js/app.js. A file under it never changes, so
// browsers and CloudFront may keep it for a year; index.html, which names
// the current hash, is never cached.
const webAssetsPrefix = "assets"

// webSkip are the parts of web/ that are not served: the browser tests.
var webSkip = map[string]bool{"e2e": true}

// webBundle is the web client laid out for the bucket.
type webBundle struct {
	// Dir holds index.html and assets/<Hash>/...
	Dir  string
	Hash string
}

// rootRef matches the absolute references of index.html (href="/styles.css",
// src="/js/app.js"); the modules import each other relatively, so moving the
// entry points moves the whole graph.
var rootRef = regexp.MustCompile(`(href|src)="/([^"/][^"]*)"`)

// stageWeb copies webDir into outDir as the bucket will hold it: every file
// under assets/<hash>/, where hash covers the names and contents of all of
// them, and index.html at the root with its references rewritten to that
// directory. The web client has no build step; this is its only one, and it
// runs offline at synth.
func stageWeb(webDir, outDir string) (webBundle, error) {
	var files []string
	err := filepath.WalkDir(webDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(webDir, path)
		if d.IsDir() {
			if webSkip[rel] {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return webBundle{}, fmt.Errorf("web client: %w", err)
	}
	sort.Strings(files)
	if !slices.Contains(files, "index.html") {
		return webBundle{}, fmt.Errorf("web client: %s has no index.html", webDir)
	}
	h := sha256.New()
	contents := make(map[string][]byte, len(files))
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(webDir, f))
		if err != nil {
			return webBundle{}, fmt.Errorf("web client: %w", err)
		}
		contents[f] = b
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	hash := hex.EncodeToString(h.Sum(nil))[:16]
	base := "/" + webAssetsPrefix + "/" + hash + "/"

	var missing []string
	index := rootRef.ReplaceAllStringFunc(string(contents["index.html"]), func(m string) string {
		sub := rootRef.FindStringSubmatch(m)
		if _, ok := contents[sub[2]]; !ok {
			missing = append(missing, sub[2])
			return m
		}
		return sub[1] + `="` + base + sub[2] + `"`
	})
	if len(missing) > 0 {
		return webBundle{}, fmt.Errorf("web client: index.html refers to files not in %s: %s", webDir, strings.Join(missing, ", "))
	}
	dir := filepath.Join(outDir, "web-"+hash)
	if err := os.RemoveAll(dir); err != nil {
		return webBundle{}, err
	}
	for f, b := range contents {
		dst := filepath.Join(dir, webAssetsPrefix, hash, filepath.FromSlash(f))
		if err := writeFileMode(dst, b, 0o644); err != nil {
			return webBundle{}, err
		}
	}
	if err := writeFileMode(filepath.Join(dir, "index.html"), []byte(index), 0o644); err != nil {
		return webBundle{}, err
	}
	return webBundle{Dir: dir, Hash: hash}, nil
}

func writeFileMode(path string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, mode)
}
