"""Redis ACL users: each service process reaches only its own keys and the queues it uses.

One user per API process (`bunri-<service>`) and per worker (`bunri-<service>-worker`):
- an API process: its own `<service>:*` keys (rate limits, locks), the Dramatiq queues it
  SENDS to (only those: auth cannot start analyses), `&waste:*` progress channels
  for waste;
- a worker: its own keys and ALL `dramatiq:*` keys — what Dramatiq's Redis broker cannot do
  without: every worker of every service shares one namespace, registers in one
  `dramatiq:__heartbeats__` set, keeps its in-flight messages under
  `dramatiq:__acks__.<random worker id>.<queue>` and, as maintenance, finds dead workers'
  ack sets with KEYS and moves their messages back to whatever queue they came from.
  Senders also register in `__heartbeats__` on every send (so each API user may write it),
  and a sender can read or drop messages of the queues it may write. Both users actors
  share the queue `users` (the Kubernetes autoscaler counts that list), so auth, which
  sends new profiles there, could also send a points award; a queue of its own for
  profiles (plus a second KEDA trigger) would close that.
No user but the administrator (`default`) may run admin or dangerous commands (FLUSHALL,
CONFIG, DEBUG…); workers get KEYS back for Dramatiq's maintenance.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

API = "resetchannels +@all -@admin -@dangerous"
WORKER = "resetchannels +@all -@admin -@dangerous +keys"
# Dramatiq's script names its namespace ("dramatiq") as its one declared key, and every
# send registers the sender in the heartbeat set.
HEARTBEATS = "~dramatiq ~dramatiq:__heartbeats__"


def _queue(name: str) -> str:
    return f"~dramatiq:{name} ~dramatiq:{name}.msgs"


def rules() -> dict[str, str]:
    """ACL rules (without passwords) of every service user."""
    return {
        "bunri-auth": f"{API} ~auth:* {_queue('users')} {HEARTBEATS}",
        # Its own queue whole: the API re-drives dead-lettered awards (users.XQ) and reports
        # the queue's depth.
        "bunri-users": f"{API} ~users:* ~dramatiq:users ~dramatiq:users.* {HEARTBEATS}",
        "bunri-users-worker": f"{WORKER} ~users:* ~dramatiq ~dramatiq:*",
        # Its own queue whole: it reports the queue's depth, delayed and dead letters.
        "bunri-waste": (
            f"{API} ~waste:* &waste:* ~dramatiq:waste ~dramatiq:waste.* {_queue('users')} "
            f"{HEARTBEATS}"
        ),
        "bunri-waste-worker": f"{WORKER} ~waste:* &waste:* ~dramatiq ~dramatiq:*",
        "bunri-recycling": f"{API} ~recycling:*",
        "bunri-locations": f"{API} ~locations:*",
    }


def new_passwords(admin: str | None = None) -> dict[str, str]:
    """A fresh password for the administrator (`default`) and every service user."""
    users = ["default", *rules()]
    return {user: (admin if user == "default" and admin else secrets.token_urlsafe(24))
            for user in users}  # fmt: skip


def acl_file(passwords: dict[str, str]) -> str:
    lines = [f"user default on >{passwords['default']} ~* &* +@all"]
    lines += [f"user {user} on >{passwords[user]} {rule}" for user, rule in rules().items()]
    return "\n".join(lines) + "\n"


def url(host: str, port: int, user: str, password: str) -> str:
    name = "" if user == "default" else quote(user, safe="")
    return f"redis://{name}:{quote(password, safe='')}@{host}:{port}/0"
