#!/usr/bin/python3
"""raison_client.py — a raison client in Python, written from proto/raison.proto
and docs/api.md alone (no raison C code), and the interop test that uses it.

It proves that the entry format and the local API are a contract another
language can implement: it makes its own Ed25519 key (PyNaCl) and follows the
publish sequence of docs/api.md: for each of a Profile, a Charter v1 and a Post
it sends the unsigned draft, signs the seq and prev the node answers (a post
names the charter version the draft names), publishes over the node's ZeroMQ
API socket, and checks each PublishReply id against its own SHA-256 of the
entry bytes. It reads the timeline and the feed back, checks that a draft that
breaks a rule (an unknown mission) is refused before anything is signed, and
that a bad signature is refused with ERROR_BAD_SIGNATURE.

Usage: raison_client.py --socket PATH --pb2 DIR
  PATH  the node's API socket file (ipc://PATH)
  DIR   where `protoc --python_out=DIR -I proto proto/raison.proto` wrote
        raison_pb2.py (generated at test time, never committed)

Needs Debian's python3-zmq, python3-protobuf and python3-nacl. Prints one line
per check and "N passed, 0 failed" at the end; exits 1 on the first failure.
"""

import argparse
import hashlib
import os
import sys
import time

import nacl.exceptions
import nacl.signing
import zmq

SIGN_CONTEXT = b"raison-entry-v1\x00"
REPLY_TIMEOUT_MS = 15000

pb = None  # the generated raison_pb2 module, imported in main()


class ApiError(Exception):
    """The node answered with an `error` result."""

    def __init__(self, code, message):
        super().__init__("error %d (%s): %s" % (code, pb.ErrorCode.Name(code), message))
        self.code = code
        self.message = message


class Client:
    """A DEALER (default) or REQ connection to a node's local API."""

    def __init__(self, socket_path, use_req=False):
        self.ctx = zmq.Context.instance()
        self.use_req = use_req
        self.sock = self.ctx.socket(zmq.REQ if use_req else zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVTIMEO, REPLY_TIMEOUT_MS)
        self.sock.setsockopt(zmq.SNDTIMEO, REPLY_TIMEOUT_MS)
        self.sock.connect("ipc://" + socket_path)
        self.next_id = 1

    def close(self):
        self.sock.close(0)

    def send(self, req):
        """Sends REQ (an ApiRequest; request_id set here) without waiting."""
        req.request_id = self.next_id
        self.next_id += 1
        payload = req.SerializeToString()
        if self.use_req:
            self.sock.send(payload)  # REQ adds the empty delimiter itself
        else:
            self.sock.send_multipart([b"", payload])
        return req.request_id

    def recv(self):
        """The next ApiReply (raises zmq.Again after REPLY_TIMEOUT_MS)."""
        if self.use_req:
            frames = [self.sock.recv()]
        else:
            frames = self.sock.recv_multipart()
            if len(frames) != 2 or frames[0] != b"":
                raise AssertionError("reply envelope is not [empty, ApiReply]: %d frames"
                                     % len(frames))
        reply = pb.ApiReply()
        reply.ParseFromString(frames[-1])
        return reply

    def call(self, req, want):
        """Sends REQ, waits for its reply; returns the WANT result or raises."""
        rid = self.send(req)
        reply = self.recv()
        if reply.request_id != rid:
            raise AssertionError("reply request_id %d, expected %d" % (reply.request_id, rid))
        which = reply.WhichOneof("result")
        if which == "error":
            raise ApiError(reply.error.code, reply.error.message)
        if which != want:
            raise AssertionError("reply carries %r, expected %r" % (which, want))
        return getattr(reply, want)

    def status(self):
        req = pb.ApiRequest()
        req.status.SetInParent()
        return self.call(req, "status")

    def head(self, author):
        req = pb.ApiRequest()
        req.head.author = author
        return self.call(req, "head")

    def draft(self, author, kind, body):
        """The first step of the publish sequence: the node judges the unsigned
        draft and answers seq, prev and (a post) the charter version to name."""
        req = pb.ApiRequest()
        req.draft.author = author
        req.draft.kind = kind
        req.draft.body = body
        return self.call(req, "draft")

    def publish(self, signed):
        req = pb.ApiRequest()
        req.publish.entry.CopyFrom(signed)
        return self.call(req, "publish")

    def timeline(self, group_hex, mission="", limit=0, cursor=b""):
        req = pb.ApiRequest()
        req.timeline.group = group_hex
        req.timeline.mission = mission
        req.timeline.limit = limit
        req.timeline.cursor = cursor
        return self.call(req, "timeline")

    def feed(self, author, from_seq=0, limit=0):
        req = pb.ApiRequest()
        req.feed.author = author
        req.feed.from_seq = from_seq
        req.feed.limit = limit
        return self.call(req, "feed")

    def entry(self, entry_id):
        req = pb.ApiRequest()
        req.entry.id = entry_id
        return self.call(req, "entry")


class Author:
    """An Ed25519 identity that keeps track of its own feed head (never trusted
    over what it already had acknowledged: a node behind it would have us
    fork)."""

    def __init__(self):
        self.key = nacl.signing.SigningKey.generate()
        self.public = bytes(self.key.verify_key)
        self.seq = 0
        self.head_id = b""

    def sync(self, client):
        """Takes seq and prev from the node's `head` for this author."""
        head = client.head(self.public)
        self.seq = head.seq
        self.head_id = head.id

    def make(self, client, kind, body_msg, bad_signature=False):
        """Drafts, then builds and signs the next entry of this feed; returns
        (SignedEntry, id). The draft (an ApiError when it breaks a rule: then
        nothing is signed) names seq and prev, and for a post the charter
        version, written into BODY_MSG. The feed head only moves in advance()
        once the node accepted it. A signed entry must be resent as it is
        until a node stores it: never sign another for its seq."""
        draft = client.draft(self.public, kind, body_msg.SerializeToString())
        if draft.seq != self.seq + 1 or (draft.seq > 1 and draft.prev != self.head_id):
            raise AssertionError("the draft names seq %d, our head is %d: a node behind us"
                                 % (draft.seq, self.seq))
        if kind == pb.KIND_POST and draft.charter:
            body_msg.charter = draft.charter
        body = body_msg.SerializeToString()
        entry = pb.Entry()
        entry.author = self.public
        entry.seq = draft.seq
        entry.prev = draft.prev  # empty for seq 1
        entry.timestamp = int(time.time() * 1000)
        entry.kind = kind
        entry.body_hash = hashlib.sha256(body).digest()
        entry.body_size = len(body)
        entry_bytes = entry.SerializeToString()
        signature = self.key.sign(SIGN_CONTEXT + entry_bytes).signature
        if bad_signature:
            signature = bytes([signature[0] ^ 0x01]) + signature[1:]
        signed = pb.SignedEntry(entry=entry_bytes, signature=signature, body=body)
        return signed, hashlib.sha256(entry_bytes).digest()

    def advance(self, entry_id):
        self.seq += 1
        self.head_id = entry_id


class Checks:
    def __init__(self):
        self.passed = 0

    def ok(self, cond, what):
        if not cond:
            print("FAIL: " + what, flush=True)
            print("%d passed, 1 failed" % self.passed, flush=True)
            sys.exit(1)
        self.passed += 1
        print("ok: " + what, flush=True)


def publish_checked(client, author, checks, kind, body, what):
    signed, entry_id = author.make(client, kind, body)
    reply = client.publish(signed)
    checks.ok(not reply.HasField("broken_rule"),
              "%s: keeps the semantic rules (no broken_rule)" % what)
    checks.ok(reply.id == entry_id,
              "%s: PublishReply id %s is SHA-256 of our entry bytes" % (what, reply.id.hex()))
    checks.ok(reply.seq == author.seq + 1 and not reply.duplicate,
              "%s: accepted as seq %d, not a duplicate" % (what, reply.seq))
    author.advance(entry_id)
    return signed, entry_id


def run(socket_path):
    checks = Checks()
    tag = os.urandom(4).hex()
    client = Client(socket_path)

    status = client.status()
    checks.ok(len(status.node_key) == 32, "status: node key of 32 bytes")

    # REQ works as is, and a DEALER may pipeline: replies in request order
    req_client = Client(socket_path, use_req=True)
    checks.ok(len(req_client.status().node_key) == 32, "status over a REQ socket")
    req_client.close()
    ids = []
    for _ in range(3):
        req = pb.ApiRequest()
        req.status.SetInParent()
        ids.append(client.send(req))
    got = [client.recv().request_id for _ in ids]
    checks.ok(got == ids, "3 pipelined requests answered in order %s" % got)

    me = Author()
    me.sync(client)
    checks.ok(me.seq == 0 and me.head_id == b"", "head of a new author: seq 0, no id")

    profile = pb.Profile(name="Py Client " + tag, site="py-site", role="interop test")
    profile_signed, _ = publish_checked(client, me, checks, pb.KIND_PROFILE, profile,
                                        "profile (seq 1)")

    charter = pb.Charter(
        version=1,
        name="python-interop-" + tag,
        purpose="Show that a client in another language can take part",
        missions=[pb.Mission(key="interop", goal="Publish entries signed outside C")],
        benefits=["Members learn the protocol is open"],
        data_policy=pb.DataPolicy(readers="everyone on the federation",
                                  use="interoperability tests only", retention_days=0),
        access=pb.ACCESS_OPEN,
        owners=[me.public],
    )
    _, group_id = publish_checked(client, me, checks, pb.KIND_CHARTER, charter,
                                  "charter v1 (seq 2)")

    # a draft that breaks a rule is refused before anything is signed
    try:
        client.draft(me.public, pb.KIND_POST,
                     pb.Post(group=group_id, mission="intreop", text="typo").SerializeToString())
        checks.ok(False, "draft of a post to an unknown mission refused")
    except ApiError as e:
        checks.ok(e.code == pb.ERROR_UNKNOWN_MISSION,
                  "draft of a post to an unknown mission refused (%d: %s)" % (e.code, e.message))

    text = "hello from Python " + tag
    post = pb.Post(group=group_id, mission="interop", text=text)
    _, post_id = publish_checked(client, me, checks, pb.KIND_POST, post, "post (seq 3)")
    checks.ok(post.charter == group_id,
              "post names the charter version the draft answered (version 1: the group id)")

    head = client.head(me.public)
    checks.ok(head.seq == 3 and head.id == post_id and not head.frozen,
              "head: seq 3, id of the post")

    # the same entry again is a duplicate, not an error
    again = client.publish(profile_signed)
    checks.ok(again.duplicate and again.seq == 1, "profile published again: duplicate")

    # read the post back through the timeline of the group (by id in hex)
    deadline = time.monotonic() + 5
    while True:
        timeline = client.timeline(group_id.hex(), limit=10)
        if timeline.posts or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    checks.ok(timeline.group == group_id, "timeline: of our group")
    checks.ok(len(timeline.posts) == 1, "timeline: one post (%d)" % len(timeline.posts))
    p = timeline.posts[0]
    checks.ok(p.text == text, "timeline: post text %r" % p.text)
    checks.ok(p.id == post_id and p.author == me.public and p.seq == 3,
              "timeline: post id, author and seq")
    checks.ok(p.mission == "interop" and p.group == group_id, "timeline: mission and group")
    checks.ok(p.author_name == profile.name and p.author_site == profile.site,
              "timeline: author name and site from the profile (%r, %r)"
              % (p.author_name, p.author_site))
    checks.ok(timeline.next_cursor == b"", "timeline: a single page")

    # the node keeps the exact bytes we signed
    feed = client.feed(me.public)
    checks.ok(feed.head == 3 and len(feed.entries) == 3, "feed: 3 entries, head 3")
    kinds = [e.kind for e in feed.entries]
    checks.ok(kinds == [pb.KIND_PROFILE, pb.KIND_CHARTER, pb.KIND_POST],
              "feed: profile, charter, post in seq order")
    checks.ok(all(hashlib.sha256(e.signed_entry.entry).digest() == e.id
                  for e in feed.entries), "feed: every id is SHA-256 of the stored entry bytes")
    got = client.entry(post_id).entry
    checks.ok(got.signed_entry.body == post.SerializeToString()
              and nacl.signing.VerifyKey(me.public).verify(
                  SIGN_CONTEXT + got.signed_entry.entry, got.signed_entry.signature),
              "entry: body and signature as we made them, verified with PyNaCl")

    # a bad signature is refused, and the feed does not move
    bad, _ = me.make(client, pb.KIND_POST,
                     pb.Post(group=group_id, mission="interop", text="forged"),
                     bad_signature=True)
    try:
        client.publish(bad)
        checks.ok(False, "bad signature refused")
    except ApiError as e:
        checks.ok(e.code == pb.ERROR_BAD_SIGNATURE == 5,
                  "bad signature refused with ERROR_BAD_SIGNATURE (%d: %s)"
                  % (e.code, e.message))
    checks.ok(client.head(me.public).seq == 3, "head still seq 3 after the refusal")

    client.close()
    print("%d passed, 0 failed" % checks.passed, flush=True)


def main():
    global pb
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--socket", required=True, help="the node's API socket file")
    parser.add_argument("--pb2", required=True, help="folder holding raison_pb2.py")
    args = parser.parse_args()
    sys.path.insert(0, args.pb2)
    import raison_pb2
    pb = raison_pb2
    try:
        run(args.socket)
    except zmq.Again:
        print("FAIL: the node did not answer within %d ms" % REPLY_TIMEOUT_MS, flush=True)
        sys.exit(1)
    except (ApiError, AssertionError, nacl.exceptions.BadSignatureError) as e:
        print("FAIL: %s" % e, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
