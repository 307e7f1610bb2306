// Command etcd runs etcd's own entry point, so the binary comes from the pinned etcd module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
