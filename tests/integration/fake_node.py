#!/usr/bin/python3
"""fake_node.py — a hostile or faulty API node in front of a real raisond.

It binds an API socket of its own (ipc://LISTEN, a ROUTER, like raisond's)
and forwards every request to the real node (ipc://UPSTREAM), except the
publishes a rules file tells it to answer otherwise. It records every signed
entry it is sent, so that a test can prove a client never signed two entries
for one (author, seq), and every draft.

Usage: fake_node.py --listen PATH --upstream PATH --pb2 DIR --rules FILE --record FILE

  DIR     holds raison_pb2.py (protoc --python_out=DIR -I proto raison.proto)
  FILE    (rules) one action per line, taken by the next publishes in order
          (the line is removed once used; no line left: pass):
            pass            forward; the real node's reply
            internal        answer ERROR_INTERNAL; nothing forwarded
            busy            answer ERROR_BUSY; nothing forwarded
            internal-after  forward (the node stores it), then answer
                            ERROR_INTERNAL all the same: a node that lies
            drop            forward nothing, answer nothing (a timeout)
  FILE    (record) one JSON object per line, appended and flushed:
            {"call": "publish", "author", "seq", "id", "entry", "kind", "body",
             "action"}
            {"call": "draft", "author", "kind"}
          (bytes in hex; id = SHA-256 of the entry bytes)

Needs Debian's python3-zmq and python3-protobuf. Runs until SIGTERM.
"""

import argparse
import hashlib
import json
import os
import signal
import sys

import zmq

UPSTREAM_TIMEOUT_MS = 15000


def take_action(rules_path):
    """The first line of the rules file, removed from it ("pass" when none)."""
    try:
        with open(rules_path) as f:
            lines = [l.strip() for l in f if l.strip()]
    except FileNotFoundError:
        return "pass"
    if not lines:
        return "pass"
    with open(rules_path + ".tmp", "w") as f:
        f.write("".join(l + "\n" for l in lines[1:]))
    os.replace(rules_path + ".tmp", rules_path)
    return lines[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("listen", "upstream", "pb2", "rules", "record"):
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.pb2)
    import raison_pb2 as pb

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ctx = zmq.Context.instance()
    front = ctx.socket(zmq.ROUTER)
    front.setsockopt(zmq.LINGER, 0)
    front.bind("ipc://" + args.listen)
    back = ctx.socket(zmq.DEALER)
    back.setsockopt(zmq.LINGER, 0)
    back.setsockopt(zmq.RCVTIMEO, UPSTREAM_TIMEOUT_MS)
    back.connect("ipc://" + args.upstream)
    record = open(args.record, "a")

    def log(obj):
        record.write(json.dumps(obj, sort_keys=True) + "\n")
        record.flush()
        os.fsync(record.fileno())

    def forward(payload):
        back.send_multipart([b"", payload])
        while True:
            frames = back.recv_multipart()
            reply = pb.ApiReply()
            reply.ParseFromString(frames[-1])
            return frames[-1], reply

    def error(request_id, code, message):
        reply = pb.ApiReply(request_id=request_id)
        reply.error.code = code
        reply.error.message = message
        return reply.SerializeToString()

    while True:
        frames = front.recv_multipart()
        envelope, payload = frames[:-1], frames[-1]
        req = pb.ApiRequest()
        try:
            req.ParseFromString(payload)
        except Exception:  # not ours to judge: the real node answers
            req = None
        call = req.WhichOneof("call") if req is not None else None
        if call == "draft":
            log({"call": "draft", "author": req.draft.author.hex(), "kind": req.draft.kind})
        if call != "publish":
            out, _ = forward(payload)
            front.send_multipart(envelope + [out])
            continue
        action = take_action(args.rules)
        signed = req.publish.entry
        entry = pb.Entry()
        entry.ParseFromString(signed.entry)
        log({"call": "publish", "author": entry.author.hex(), "seq": entry.seq,
             "id": hashlib.sha256(signed.entry).hexdigest(), "entry": signed.entry.hex(),
             "kind": entry.kind, "body": signed.body.hex(),
             "action": action})
        if action == "drop":
            continue
        if action == "internal":
            out = error(req.request_id, pb.ERROR_INTERNAL, "the fake node failed (on purpose)")
        elif action == "busy":
            out = error(req.request_id, pb.ERROR_BUSY, "the fake node is busy (on purpose)")
        else:
            out, _ = forward(payload)
            if action == "internal-after":
                out = error(req.request_id, pb.ERROR_INTERNAL,
                            "the fake node stored it and lies (on purpose)")
        front.send_multipart(envelope + [out])


if __name__ == "__main__":
    main()
