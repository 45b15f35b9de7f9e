"""Meeting chatter: sentences that run the meeting rather than say anything about the product.

General conversation rules, no transcript's wording: facilitation ("any questions?", "what else?"),
turn-taking (addressing a participant: "Maybe Mark, you …"), meta-talk about the meeting itself
("as I just mentioned", "let me write this down", "go into detail"), questions about what someone
meant ("how do you mean …?"), and hedges or pronouns with no content left once those are removed.
:mod:`tools.meeting_points` uses them to keep such sentences out of requirements, open questions,
decisions and draft stories.
"""

from __future__ import annotations

import re

from tools.statements import META_TALK, content_words, question_form, strip_fillers

__all__ = ["addresses_participant", "chatter_question", "content_left", "elliptical", "meta_talk", "pronoun_object",
           "question_form", "small_talk", "tagged"]

#: Capitalised words that open a sentence without naming anyone ("So, you …", "Okay, you …").
_DISCOURSE = frozenset("""yes yeah yep so okay ok well now right sure no nope and but also then maybe actually
basically like um uh alright great good cool sorry hey hi thanks thank or because if i you we they it this that
honestly anyway still please look see listen oh ah hmm perfect exactly true fine how what why when where who
which whether is are do does did can could would will should shall""".split())
#: "Mark, you …", "Maybe Mark, can you …", "and Ana, what do you …": a participant addressed by name.
_VOCATIVE = re.compile(r"^(?:[\w']+\s+){0,2}?([A-Z][a-z]+),\s+(?:(?:can|could|would|will|do|did|are|have) you|you|"
                       r"what (?:do|would|about)|how (?:do|would|about)|any)\b")
_FACILITATION = re.compile(
    r"\b(?:any (?:other |more |further |last )?questions|(?:have|got) (?:any |some )?questions|questions "
    r"(?:so far|overall|for me|before we)|anything else|what else|(?:shall|should|can) we (?:start|begin|move on|"
    r"continue|go on|wrap up|get started)|let's (?:start|begin|move on|get started|wrap up|continue)|"
    r"does (?:that|this|it) make sense|are we (?:all )?(?:good|done|aligned|on the same page)|"
    r"(?:is|was) (?:that|this|everything|it) (?:all )?clear|next (?:topic|point|item|question)|"
    r"(?:any|other) (?:thoughts|comments|input|objections)|what do you (?:guys |all |both )?think|"
    r"who (?:wants|would like) to (?:go|start|begin)|over to you|your turn)\b", re.IGNORECASE)
_CLARIFY = re.compile(
    r"\b(?:(?:what|how) do you mean|do you mean|you mean(?=\s*\?)|(?:what|how) did you mean|what did you say|"
    r"what was that|"
    r"(?:say|repeat) (?:it|that) again|come again|(?:i )?(?:don't|didn't|do not) (?:really |quite )?(?:understand|get)"
    r" (?:this|that|you|it|what)|sorry,? what|pardon)\b", re.IGNORECASE)
_META = META_TALK
#: Hedges and tags inside a phrase: "…, right", "I mean", "you know", "or something".
_TAGGED = re.compile(r",\s*right\b|\bi mean\b|\byou know\b|\bi don't know\b|\bor something\b|\bor whatever\b|"
                     r"\bor so\b|\bwhat i want to say\b", re.IGNORECASE)
#: Words too vague to make a sentence about anything.
_VAGUE = frozenset("""thing things stuff kind sort way ways idea ideas sense makes make made something anything
everything nothing problem problems point points lot bit overall guys everyone anyone someone people one ones
question questions wondering think know mean really actually probably maybe basically just like sure right
okay yeah yes well good fine much many little able sorry""".split())
#: "submit that", "feel there", "restrict it": a verb whose object is a bare pronoun or deictic.
_BARE = frozenset("it this that these those them there here something anything stuff so one".split())
_NOUNISH = re.compile(r"^[a-z][a-z'-]+$")


def content_left(sentence: str) -> list[str]:
    """Content words of a sentence once fillers, facilitation, meta-talk and vague words are removed."""
    text = strip_fillers(sentence)
    for rule in (_FACILITATION, _CLARIFY, _META):
        text = rule.sub(" ", text)
    return [w for w in content_words(text) if w not in _VAGUE]


def addresses_participant(sentence: str) -> bool:
    """Turn-taking: the sentence speaks to a participant by name ("Maybe Mark, you know the users best")."""
    named = _VOCATIVE.match(sentence.strip())
    return bool(named and named.group(1).lower() not in _DISCOURSE)


def meta_talk(sentence: str) -> bool:
    """Talk about the meeting or the conversation itself, not the product ("the types I just mentioned")."""
    return bool(_META.search(sentence))


def chatter_question(sentence: str) -> bool:
    """A question that runs the meeting: facilitation, turn-taking, what someone meant, or no content at all."""
    if _FACILITATION.search(sentence) or _CLARIFY.search(sentence):
        return True
    left = content_left(sentence)
    if (addresses_participant(sentence) or meta_talk(sentence)) and len(left) < 3:
        return True
    return len(left) < 2


def pronoun_object(phrase: str) -> bool:
    """A story's "I want" whose object is a bare pronoun or deictic ("to submit that", "to feel there").

    ``phrase`` is "[subject] to VERB …" or a noun phrase; the word after the verb (and its particles) must not be
    a pronoun standing alone — "this user" names something, "that on the devices" does not.
    """
    words = [w.strip(".,;:!?").lower() for w in phrase.split()]
    words = [w for w in words if w]
    if "to" in words[:6]:
        words = words[words.index("to") + 1:]  # "drivers to submit that …": the verb phrase after the subject
    if words and words[0] in {"not", "just", "also", "really", "be", "able"}:
        words = [w for w in words if w not in {"not", "just", "also", "really"}]
    if len(words) < 2:
        return True
    rest = words[1:]
    while rest and rest[0] in {"up", "out", "in", "on", "off", "over", "back", "down", "away", "be", "able", "to"}:
        rest = rest[1:]
    if not rest:
        return True
    if rest[0] in _BARE:
        nxt = rest[1] if len(rest) > 1 else ""
        named = rest[0] in {"this", "that", "these", "those"} and bool(_NOUNISH.match(nxt)) and nxt not in (
            _BARE | {"on", "in", "at", "for", "to", "with", "from", "by", "and", "or", "but", "is", "was", "will",
                     "would", "should", "can", "could"})
        return not named
    return False


def tagged(phrase: str) -> bool:
    """A phrase carrying a conversational hedge or tag ("…, right", "I mean", "or something")."""
    return bool(_TAGGED.search(phrase))


#: Small talk about the meeting's own logistics: "did you receive / get / read the document?", greetings.
_SMALL_TALK = re.compile(
    r"\b(?:(?:did|have|has) (?:you|everyone|everybody|he|she|they|all of you) (?:already |all |maybe )?"
    r"(?:receive[ds]?|get|got|seen?|read|open(?:ed)?|had a (?:chance|look))|how are you|how was your|"
    r"how(?:'s| is) (?:it going|everyone)|(?:can|could) (?:you|everyone) (?:hear|see) (?:me|us|my)|"
    r"are you (?:there|ready))\b", re.IGNORECASE)
#: Pronouns that point back to something said before ("it" is often expletive: "it makes sense").
_REFERRING = frozenset("he she they them this that these those his her their him".split())


def small_talk(sentence: str) -> bool:
    """A question about the meeting's logistics or a greeting ("Did you receive the document I sent?")."""
    return bool(_SMALL_TALK.search(sentence))


def elliptical(sentence: str) -> bool:
    """A sentence that needs what was said before it.

    It has under 3 content words, or a pronoun in its first 5 words ("What if he has …?"), before the
    sentence names anything the pronoun could point to.
    """
    words = [w.strip(".,;:!?").lower() for w in strip_fillers(sentence).split()]
    return len(content_left(sentence)) < 3 or any(w in _REFERRING for w in words[:5])
