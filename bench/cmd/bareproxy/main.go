// Command bareproxy is the floor for any Go proxy in front of an MCP
// server: httputil.ReverseProxy with a pooled transport (the same pool size
// as mcpproxy's), and nothing else. bench/cmd/gateways runs it as a process
// beside the gateway and oauth2-proxy.
//
//	bareproxy -listen 127.0.0.1:9001 -upstream http://127.0.0.1:9000
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/mcpauth/mcpauth/mcpproxy"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9001", "address to listen on")
	upstream := flag.String("upstream", "", "upstream base URL")
	flag.Parse()
	target, err := url.Parse(*upstream)
	if err != nil || target.Host == "" {
		log.Fatalf("bareproxy: -upstream %q: not an absolute URL", *upstream)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = mcpproxy.NewTransport()
	proxy.FlushInterval = -1 // stream server-sent events as they come, as mcpproxy does
	// Full duplex: the upstream answers with server-sent events, whose
	// headers the proxy flushes at once; without it net/http may close the
	// request body the transport is still reading to its end, and the
	// transport then drops the upstream connection mid-answer (about one
	// request in ten thousand here).
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		proxy.ServeHTTP(w, r)
	})
	server := &http.Server{Addr: *listen, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(server.ListenAndServe())
}
