package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func check(what string, err error) {
	if err != nil {
		fmt.Printf("%s: error: %v\n", what, err)
	}
}

// files: create, write, append, truncate, read, seek, stat.
func files(args []string) int {
	check("write", os.WriteFile("a.txt", []byte("hello\n"), 0o644))
	f, err := os.OpenFile("a.txt", os.O_APPEND|os.O_WRONLY, 0)
	check("open append", err)
	f.WriteString("appended\n")
	f.Close()
	data, err := os.ReadFile("a.txt")
	check("read", err)
	fmt.Printf("content: %q\n", data)

	f, err = os.OpenFile("b.bin", os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o600)
	check("create", err)
	f.Write([]byte("0123456789abcdef"))
	pos, err := f.Seek(4, io.SeekStart)
	check("seek", err)
	buf := make([]byte, 6)
	n, err := f.Read(buf)
	fmt.Printf("seek %d read %d %q %v\n", pos, n, buf[:n], err)
	pos, _ = f.Seek(-3, io.SeekEnd)
	n, _ = f.Read(buf)
	fmt.Printf("from end %d: %q\n", pos, buf[:n])
	n, err = f.Read(buf)
	fmt.Println("at eof:", n, err)
	f.Seek(2, io.SeekStart)
	f.Write([]byte("XY"))
	n, _ = f.ReadAt(buf, 0)
	fmt.Printf("readat: %q\n", buf[:n])
	f.WriteAt([]byte("Z"), 15)
	check("truncate", f.Truncate(10))
	st, err := f.Stat()
	check("fstat", err)
	fmt.Println("size after truncate:", st.Size(), "name:", st.Name(), "dir:", st.IsDir())
	f.Close()
	check("truncate path", os.Truncate("a.txt", 3))
	data, _ = os.ReadFile("a.txt")
	fmt.Printf("truncated: %q\n", data)

	st, err = os.Stat("a.txt")
	check("stat", err)
	fmt.Println("stat:", st.Name(), st.Size(), st.Mode().IsRegular(), st.ModTime().Unix() > 0)

	// Overwrite in place, then create exclusively.
	check("rewrite", os.WriteFile("a.txt", []byte("new"), 0o644))
	_, err = os.OpenFile("a.txt", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	fmt.Println("exclusive create of existing:", errors.Is(err, fs.ErrExist))
	return 0
}

// dirs: MkdirAll, ReadDir, WalkDir, rename, Remove, RemoveAll.
func dirs(args []string) int {
	check("mkdirall", os.MkdirAll("tree/x/y/z", 0o755))
	for _, p := range []string{"tree/top.txt", "tree/x/one.txt", "tree/x/y/two.txt", "tree/x/y/z/three.txt"} {
		check("write "+p, os.WriteFile(p, []byte(p), 0o644))
	}
	entries, err := os.ReadDir("tree")
	check("readdir", err)
	for _, e := range entries {
		fmt.Println("entry:", e.Name(), e.IsDir(), e.Type().IsRegular())
	}
	var walked []string
	check("walk", filepath.WalkDir("tree", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		walked = append(walked, fmt.Sprintf("%s dir=%v", p, d.IsDir()))
		return nil
	}))
	fmt.Println("walk:\n " + strings.Join(walked, "\n "))
	matches, _ := filepath.Glob("tree/x/*.txt")
	fmt.Println("glob:", matches)

	check("rename file", os.Rename("tree/top.txt", "tree/moved.txt"))
	check("rename dir", os.Rename("tree/x/y", "tree/y2"))
	err = os.Remove("tree/x")
	fmt.Println("remove non-empty dir fails:", err != nil)
	check("remove file", os.Remove("tree/x/one.txt"))
	check("remove empty dir", os.Remove("tree/x"))
	check("mkdir", os.Mkdir("tree/new", 0o755))
	err = os.Mkdir("tree/new", 0o755)
	fmt.Println("mkdir existing:", errors.Is(err, fs.ErrExist))
	d, err := os.Open("tree")
	check("open dir", err)
	names, err := d.Readdirnames(-1)
	check("readdirnames", err)
	sort.Strings(names)
	fmt.Println("names:", names)
	d.Close()
	check("removeall", os.RemoveAll("tree/y2"))
	_, err = os.Stat("tree/y2")
	fmt.Println("gone:", errors.Is(err, fs.ErrNotExist))
	tmp, err := os.MkdirTemp(".", "tmp-*")
	check("mkdirtemp", err)
	fmt.Println("mkdirtemp made a dir:", tmp != "")
	check("removeall temp", os.RemoveAll(tmp))
	return 0
}

// links: symlink, readlink, lstat vs stat, hard link, chmod.
func links(args []string) int {
	check("write", os.WriteFile("target.txt", []byte("target"), 0o644))
	check("symlink", os.Symlink("target.txt", "link.txt"))
	dest, err := os.Readlink("link.txt")
	fmt.Println("readlink:", dest, err)
	lst, err := os.Lstat("link.txt")
	check("lstat", err)
	fmt.Println("lstat is symlink:", lst.Mode()&fs.ModeSymlink != 0)
	st, err := os.Stat("link.txt")
	check("stat", err)
	fmt.Println("stat follows:", st.Mode().IsRegular(), st.Size())
	data, _ := os.ReadFile("link.txt")
	fmt.Printf("through link: %q\n", data)
	check("hard link", os.Link("target.txt", "hard.txt"))
	a, _ := os.Stat("target.txt")
	b, _ := os.Stat("hard.txt")
	fmt.Println("same file:", os.SameFile(a, b))
	check("chmod", os.Chmod("target.txt", 0o600))
	st, _ = os.Stat("target.txt")
	fmt.Printf("mode after chmod: %v\n", st.Mode().Perm())
	check("remove link", os.Remove("link.txt"))
	_, err = os.Lstat("link.txt")
	fmt.Println("link gone:", errors.Is(err, fs.ErrNotExist))
	return 0
}

// fsErrors: errors satisfy errors.Is with the io/fs sentinels.
func fsErrors(args []string) int {
	_, err := os.Open("does-not-exist.txt")
	fmt.Println("open missing:", err, errors.Is(err, fs.ErrNotExist))
	var pe *fs.PathError
	fmt.Println("is *PathError:", errors.As(err, &pe), pe != nil && pe.Op == "open")
	os.WriteFile("exists.txt", nil, 0o644)
	err = os.Mkdir("exists.txt", 0o755)
	fmt.Println("mkdir over file:", errors.Is(err, fs.ErrExist))
	_, err = os.ReadDir("exists.txt")
	fmt.Println("readdir of a file fails:", err != nil)
	err = os.Remove("nope/deeper")
	fmt.Println("remove missing:", errors.Is(err, fs.ErrNotExist))
	_, err = os.ReadFile("exists.txt/child")
	fmt.Println("file as dir fails:", err != nil)
	return 0
}

// sandbox: a path outside every preopened directory.
func sandbox(args []string) int {
	path := "/outside-of-the-sandbox/file.txt"
	if len(args) > 0 {
		path = args[0]
	}
	_, err := os.ReadFile(path)
	fmt.Println("read outside:", err)
	fmt.Println("is ErrPermission:", errors.Is(err, fs.ErrPermission))
	fmt.Println("is ErrNotExist:", errors.Is(err, fs.ErrNotExist))
	return 0
}
