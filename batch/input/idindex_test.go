package input

import (
	"fmt"
	"hash/maphash"
	"testing"
)

func TestIDIndex(t *testing.T) {
	var ids []string
	x := newIDIndex(func(i int32) string { return ids[i] })
	for i := range 10000 {
		id := fmt.Sprintf("id-%d", i%7000)
		j, fresh := x.add([]byte(id), int32(len(ids)))
		if fresh != (i < 7000) {
			t.Fatalf("id %s at %d: fresh=%v", id, i, fresh)
		}
		if !fresh && ids[j] != id {
			t.Fatalf("id %s: earlier row %d holds %s", id, j, ids[j])
		}
		if fresh {
			ids = append(ids, id)
		}
		if i == 5000 {
			x.reserve(20000)
		}
	}
	// Ids that share a slot's hash part are told apart by the ids.
	y := newIDIndex(x.key)
	h := maphash.String(y.seed, "id-1")
	y.slots[h&uint64(len(y.slots)-1)] = makeSlot(h, 0) // claims to be id-1 but row 0 is id-0
	y.n = 1
	if _, fresh := y.add([]byte("id-1"), 1); !fresh {
		t.Fatal("new id reported as a duplicate of a look-alike")
	}
	if j, fresh := y.add([]byte("id-1"), 5); fresh || j != 1 {
		t.Fatalf("second id-1: %d, %v", j, fresh)
	}
}
