"""Reading the Markdown Streamlit sends to the browser, as the browser would render it.

Streamlit draws titles, captions, messages and metric labels from Markdown (CommonMark, GitHub's
extensions, raw HTML off). Partner text in there must stay text: `live_parts` names what in a
body would render as more than text (HTML, links, images, bare URLs that GitHub's extension
turns into links), and `readable` is the text a partner reads. A backslash before an ASCII
punctuation mark makes that mark plain text in CommonMark, so escaped marks count as text.
"""
import html
import re

ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")
TEXT_TOKEN = re.compile(r"\\([!-/:-@\[-`{-~])|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
LIVE = {
    "raw HTML": re.compile(r"<[A-Za-z!?/]"),
    "a link or an image": re.compile(r"\]\s*[(\[]"),
    "a link reference": re.compile(r"^ {0,3}\[[^\]]*\]:", re.M),
    "an autolink": re.compile(r"(?i)\b(?:https?|ftp|javascript|data|mailto):|\bwww\.|[\w.+-]+@[\w-]+\.[\w.-]+"),
}


def live_parts(body):
    """What in this Markdown body would render as more than plain text (empty when nothing)."""
    # Escaped marks are plain text: blank them out before looking for syntax.
    bare = ESCAPED.sub("\0", body)
    return [what for what, pattern in LIVE.items() if pattern.search(bare)]


def readable(body):
    """The body's text as a partner reads it: escapes resolved, entities decoded (an escaped `&`
    starts no entity)."""
    return TEXT_TOKEN.sub(lambda m: m.group(1) or html.unescape(m.group(0)), body)


def text_problems(bodies, text):
    """Why `text` is not shown as plain text in these Markdown bodies: it is missing, or a body
    carrying it renders as more than text. Empty when all is well."""
    carrying = [body for body in bodies if text in readable(body)]
    if not carrying:
        return [f"{text!r} is not shown at all"]
    return [f"{body!r} renders {', '.join(live_parts(body))}" for body in carrying if live_parts(body)]
