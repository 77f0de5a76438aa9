"""What one implementation answered for one document in one mode."""
from __future__ import annotations

from dataclasses import dataclass

OK = "ok"            # built: the command line or XML is the text
REFUSED = "refused"  # refused with a reason (the text)
HOST = "host"        # not run: the result depends on the host (the oracle's exit 4)
CRASH = "crash"      # the implementation died on a signal (the text says which)
HANG = "hang"        # the implementation gave no answer within the time allowed for one document
BROKEN = "broken"    # our engine failed with an internal error (a bug, not a refusal)


@dataclass(frozen=True)
class Answer:
    status: str
    text: str = ""

    @property
    def built(self) -> bool:
        return self.status == OK

    def to_dict(self) -> dict[str, str]:
        return {"status": self.status, "text": self.text}
