// http_go: Go's net/http serving the same fixed page as weft's
// examples/http_server, for bench/net/http_compare.sh (wrk -t1 -c100).
//
//	http_go PORT      GOMAXPROCS from the environment, as Go reads it
package main

import (
	"fmt"
	"net/http"
	"os"
)

const page = "<!doctype html>\n<title>weft</title>\n<p>Hello from weft.</p>\n"

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: http_go PORT")
		os.Exit(2)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(page))
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Args[1], nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
