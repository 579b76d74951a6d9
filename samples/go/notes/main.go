// notes: a small JSON API over the host's key-value store, with one outbound call. Built with
// GOOS=js it is a Go HTTP handler on the Workers fetch contract (httpserve.Serve), which
// `wasm-server-bindgen rewrite` turns into a wasi:http/proxy component; `ci/demo-notes` builds,
// rewrites and serves it on wasm-server with a key-value store and an outbound allow-list.
//
//	GET    /                    what this service offers
//	GET    /notes               every note, by id
//	POST   /notes               {"text": "..."} → 201 with the new note
//	GET    /notes/{id}          one note (404 when absent)
//	DELETE /notes/{id}          204
//	POST   /notes/import?url=U  fetches U (outbound; the host decides which hosts are allowed)
//	                            and stores its first line as a note
//	GET    /stats               how many notes and requests the store has seen
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"wasm-server-bindgen/gojs/httpserve"
	"wasm-server-bindgen/gojs/kv"
)

// Note is what the API stores (as JSON, under "note/<id>").
type Note struct {
	ID      int64  `json:"id"`
	Text    string `json:"text"`
	Source  string `json:"source,omitempty"`
	Created string `json:"created"`
}

type api struct{ store *kv.Store }

func main() {
	store, err := kv.Open("notes")
	if err != nil {
		// Still serve, so that every request says what is missing.
		httpserve.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reply(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		}))
		return
	}
	a := &api{store: store}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.index)
	mux.HandleFunc("GET /notes", a.list)
	mux.HandleFunc("POST /notes", a.create)
	mux.HandleFunc("POST /notes/import", a.importURL)
	mux.HandleFunc("GET /notes/{id}", a.get)
	mux.HandleFunc("DELETE /notes/{id}", a.remove)
	mux.HandleFunc("GET /stats", a.stats)
	httpserve.Serve(a.counted(mux))
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func fail(w http.ResponseWriter, status int, format string, args ...any) {
	reply(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// counted counts every request in the store (an atomic increment on the host).
func (a *api) counted(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := a.store.Increment("stats/requests", 1); err != nil {
			fail(w, http.StatusServiceUnavailable, "%v", err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (a *api) index(w http.ResponseWriter, r *http.Request) {
	reply(w, http.StatusOK, map[string]any{
		"service": "notes",
		"store":   a.store.Name(),
		"endpoints": []string{
			"GET /notes", "POST /notes", "GET /notes/{id}", "DELETE /notes/{id}",
			"POST /notes/import?url=URL", "GET /stats",
		},
	})
}

func (a *api) load(id string) (*Note, error) {
	raw, ok, err := a.store.Get("note/" + id)
	if err != nil || !ok {
		return nil, err
	}
	var n Note
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, fmt.Errorf("note %s is corrupt: %v", id, err)
	}
	return &n, nil
}

func (a *api) save(text, source string) (*Note, error) {
	id, err := a.store.Increment("stats/next-id", 1)
	if err != nil {
		return nil, err
	}
	n := &Note{ID: id, Text: text, Source: source, Created: time.Now().UTC().Format(time.RFC3339)}
	raw, _ := json.Marshal(n)
	// Zero-padded keys list in id order.
	if err := a.store.Set(fmt.Sprintf("note/%010d", id), raw); err != nil {
		return nil, err
	}
	return n, nil
}

func (a *api) list(w http.ResponseWriter, r *http.Request) {
	keys, err := a.store.Keys("note/")
	if err != nil {
		fail(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	notes := []*Note{}
	for _, k := range keys {
		n, err := a.load(strings.TrimPrefix(k, "note/"))
		if err != nil {
			fail(w, http.StatusInternalServerError, "%v", err)
			return
		}
		if n != nil {
			notes = append(notes, n)
		}
	}
	reply(w, http.StatusOK, map[string]any{"notes": notes})
}

func (a *api) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil || strings.TrimSpace(in.Text) == "" {
		fail(w, http.StatusBadRequest, `send {"text": "..."} (%v)`, err)
		return
	}
	n, err := a.save(in.Text, "")
	if err != nil {
		fail(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	reply(w, http.StatusCreated, n)
}

// id parses the {id} path value into the store's key form.
func id(r *http.Request) (string, bool) {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return fmt.Sprintf("%010d", n), err == nil && n > 0
}

func (a *api) get(w http.ResponseWriter, r *http.Request) {
	key, ok := id(r)
	if !ok {
		fail(w, http.StatusBadRequest, "bad note id %q", r.PathValue("id"))
		return
	}
	n, err := a.load(key)
	switch {
	case err != nil:
		fail(w, http.StatusServiceUnavailable, "%v", err)
	case n == nil:
		fail(w, http.StatusNotFound, "no note %s", r.PathValue("id"))
	default:
		reply(w, http.StatusOK, n)
	}
}

func (a *api) remove(w http.ResponseWriter, r *http.Request) {
	key, ok := id(r)
	if !ok {
		fail(w, http.StatusBadRequest, "bad note id %q", r.PathValue("id"))
		return
	}
	if err := a.store.Delete("note/" + key); err != nil {
		fail(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// importURL is the outbound call: Go's net/http client, which goes out through fetch (under
// node) or wasi:http/outgoing-handler (rewritten), subject to the host's allow-list.
func (a *api) importURL(w http.ResponseWriter, r *http.Request) {
	url := r.URL.Query().Get("url")
	if url == "" {
		fail(w, http.StatusBadRequest, "add ?url=URL")
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, url, nil)
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fail(w, http.StatusBadGateway, "fetching %s: %v", url, err)
		return
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		fail(w, http.StatusBadGateway, "fetching %s: %s", url, res.Status)
		return
	}
	line, err := bufio.NewReader(io.LimitReader(res.Body, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fail(w, http.StatusBadGateway, "reading %s: %v", url, err)
		return
	}
	n, err := a.save(strings.TrimSpace(line), url)
	if err != nil {
		fail(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	reply(w, http.StatusCreated, n)
}

func (a *api) stats(w http.ResponseWriter, r *http.Request) {
	keys, err := a.store.Keys("note/")
	if err != nil {
		fail(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	raw, _, err := a.store.Get("stats/requests")
	if err != nil {
		fail(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	requests, _ := strconv.ParseInt(string(raw), 10, 64)
	reply(w, http.StatusOK, map[string]int64{"notes": int64(len(keys)), "requests": requests})
}
