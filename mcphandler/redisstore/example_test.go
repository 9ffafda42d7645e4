package redisstore_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcphandler/redisstore"
)

func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	store, err := redisstore.New(&redisstore.Options{Client: rdb, MaxPerPrincipal: 8})
	if err != nil {
		log.Fatal(err)
	}
	guard, err := mcphandler.New(http.NotFoundHandler(), &mcphandler.Options{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(guard != nil)
	// Output: true
}
