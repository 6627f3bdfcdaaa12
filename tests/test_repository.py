"""The repository itself: no key material is tracked (a key in git is a key every clone and fork holds)."""

from __future__ import annotations

import math
import re
import subprocess
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY_NAMES = re.compile(r"(^|[/_.-])(secret_key|secret|private_key|id_rsa|id_dsa|id_ecdsa|id_ed25519)$"
                       r"|\.(pem|key|p12|pfx|jks|keystore)$", re.IGNORECASE)
KEY_NAME_WORDS = re.compile(r"secret|key|token|credential|password", re.IGNORECASE)
PEM_PRIVATE_BLOCK = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name]


def bits_per_char(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_like_key_material(path: Path, content: bytes) -> str | None:
    name = path.name
    if KEY_NAMES.search(name):
        return "named like a key"
    if PEM_PRIVATE_BLOCK.search(content):
        return "holds a PEM private key block"
    if KEY_NAME_WORDS.search(name) and path.suffix == "":
        # A one-line, high-entropy file named like a secret: what `secrets.token_urlsafe` writes.
        text = content.decode(errors="replace").strip()
        if text and "\n" not in text and len(text) >= 20 and bits_per_char(text) > 4.0:
            return "a high-entropy single line named like a secret"
    return None


def test_the_detector_recognises_key_material():
    key_line = b"Jx2v_Qe9dK3LmZ0pRt7WbYc5Ns8Ha1UfGo4Ek6Ti-XzPqMlVnBr\n"
    assert looks_like_key_material(Path("src/pkg/data/secret_key"), key_line)
    assert looks_like_key_material(Path("deploy/server.pem"), b"")
    assert looks_like_key_material(Path("home/.ssh/id_rsa"), b"")
    pem_header = b"-----BEGIN OPENSSH " + b"PRIVATE KEY-----"  # split, so this file does not hold one itself
    assert looks_like_key_material(Path("notes.txt"), b"x\n" + pem_header + b"\nabc\n")
    assert looks_like_key_material(Path("api_token"), key_line)
    assert looks_like_key_material(Path("src/pkg/kit/crypto.py"), b"def token_hash(secret_key): ...") is None
    assert looks_like_key_material(Path("README.md"), b"PLURALSPACE_SECRET_KEY") is None
    assert looks_like_key_material(Path("token_notes"), b"short\n") is None


def test_no_tracked_file_looks_like_key_material():
    # The check reads the work tree's copy of each tracked file; a file deleted but not yet committed is skipped.
    found = {str(path.relative_to(ROOT)): why for path in tracked_files() if path.is_file()
             if (why := looks_like_key_material(path, path.read_bytes()))}
    assert found == {}, f"key material is tracked by git (remove it, rotate the key): {found}"


# Paths that exist only outside a clone: the project's shared folder, its seeds and references, machine paths.
# Written split so that this file does not match itself.
OUTSIDE_PATHS = re.compile("|".join([r"\.\./" + "shared", r"/" + "work/", "shared project " + "folder",
                                     r"\bseeds/" + r"0\d", r"reference/" + r"[\w-]+\.md", "contract " + "§"]))


def points_outside(content: str) -> list[str]:
    return [match.group(0) for match in OUTSIDE_PATHS.finditer(content)]


def test_the_outside_path_detector_recognises_them():
    assert points_outside("see ../" + "shared/API.md and /" + "work/main/x") == ["../" + "shared", "/" + "work/"]
    assert points_outside("PluralKit (reference/" + "pluralkit-api.md, seeds/" + "002)")
    assert points_outside("who sees what (contract " + "§5)")
    assert points_outside("see docs/API.md §5 and ../docs/PRIVACY.md") == []


def test_no_tracked_file_points_outside_the_repository():
    found = {}
    for path in tracked_files():
        if not path.is_file():
            continue
        try:
            content = path.read_text()
        except UnicodeDecodeError:  # binary files cite nothing
            continue
        if hits := points_outside(content):
            found[str(path.relative_to(ROOT))] = sorted(set(hits))
    assert found == {}, f"files cite what a clone does not have (cite docs/API.md or the repository's files): {found}"
