// wordfreq: count words in text files and print the most frequent ones; with -o, also write
// the full table as CSV. A command-line tool of the kind people build with GOOS=js for the
// browser and now want on a server: arguments, files, flags, exit codes.
//
//	wordfreq [-n 10] [-o counts.csv] FILE...
package main

import (
	"bufio"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

func main() {
	top := flag.Int("n", 10, "how many words to print")
	out := flag.String("o", "", "write every count to this CSV file")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: wordfreq [-n 10] [-o counts.csv] FILE...")
		os.Exit(2)
	}
	counts := map[string]int{}
	total := 0
	for _, name := range flag.Args() {
		n, err := count(name, counts)
		if err != nil {
			fmt.Fprintln(os.Stderr, "wordfreq:", err)
			os.Exit(1)
		}
		total += n
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool {
		if counts[words[i]] != counts[words[j]] {
			return counts[words[i]] > counts[words[j]]
		}
		return words[i] < words[j]
	})
	fmt.Printf("%d words, %d distinct, in %d file(s)\n", total, len(words), flag.NArg())
	for i, w := range words {
		if i == *top {
			break
		}
		fmt.Printf("%6d  %s\n", counts[w], w)
	}
	if *out != "" {
		if err := writeCSV(*out, words, counts); err != nil {
			fmt.Fprintln(os.Stderr, "wordfreq:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", *out)
	}
}

func count(name string, counts map[string]int) (int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Split(bufio.ScanWords)
	n := 0
	for s.Scan() {
		w := strings.ToLower(strings.TrimFunc(s.Text(), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }))
		if w != "" {
			counts[w]++
			n++
		}
	}
	return n, s.Err()
}

func writeCSV(name string, words []string, counts map[string]int) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"word", "count"})
	for _, word := range words {
		w.Write([]string{word, strconv.Itoa(counts[word])})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
