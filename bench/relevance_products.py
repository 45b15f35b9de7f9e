"""Single-product relevance data: one backlog per workspace, questions in a PM's words, stories labelled by reading.

Most workspaces hold signals about one product only (one app's reviews, one product's backlog). There the
whole workspace sits close to any question about the product, so a floor calibrated on a multi-topic
workspace (BANKING77's 77 intents, or 22 backlogs pooled) sees "everything is a bit relevant" and refuses.

Each :class:`Product` is one backlog of ``../shared/data/user-stories`` ingested *alone*. Its questions were
written for this set in a PM's own words (not copied from the stories); for every question the stories a PM
would accept as evidence were picked by reading the whole backlog (indices into the backlog's non-empty
lines, the ``{stem}-{index}`` external ids of :func:`bench.relevance_heldout.stories`). Every story not listed
is off topic. ``off`` holds questions about things the product plainly does not do (half near misses from the
same domain): they must abstain.

``split``: ``"tuning"`` backlogs may be used to choose and fit the floor; ``"heldout"`` backlogs never are
(g03-loudoun, g19-alfred and g26-racdam are also a PM reviewer's held-out set).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    """One backlog ingested alone: questions with the indices of their relevant stories, and off-domain questions."""

    stem: str
    split: str
    questions: tuple[tuple[str, tuple[int, ...]], ...]
    off: tuple[str, ...]


PRODUCTS: tuple[Product, ...] = (
    Product("g27-culrepo", "tuning", (
        ("How do faculty want to upload their data?", (2, 12, 23, 27, 52, 65, 67, 68, 70, 75, 83)),
        ("What do users say about uploading data?",
         (2, 12, 13, 23, 27, 52, 53, 55, 56, 57, 61, 62, 63, 65, 67, 68, 70, 75, 81, 83, 106, 114)),
        ("Draft requirements so depositors can upload and describe their own research data",
         (2, 12, 23, 27, 52, 53, 54, 55, 57, 61, 65, 67, 68, 69, 70, 75, 83, 104)),
        ("How do people want to find and search for work in the repository?",
         (0, 14, 30, 31, 33, 37, 38, 40, 41, 42, 44, 45, 47, 50, 76, 80, 94)),
        ("Keeping deposited material safe for the long term",
         (24, 97, 98, 99, 100, 102, 103, 105, 107, 110, 111, 113)),
        ("Usage numbers: who is downloading our items?", (18, 19, 20)),
    ), (
        "How do students want to pay their tuition fees online?",
        "What do patrons say about borrowing printed books and overdue fines?",
        "Complaints about cafeteria food prices",
        "How do gamers feel about matchmaking lag?",
    )),
    Product("g12-camperplus", "tuning", (
        ("How do parents want to handle paperwork like permission slips?", (3, 4, 18, 20, 35, 37, 41)),
        ("What do camp staff need for planning the daily programme?", (5, 9, 12, 25, 26, 27, 28, 34)),
        ("How do parents want to keep in touch with the camp about their kids?",
         (13, 14, 15, 16, 21, 36, 39, 40, 43, 44, 47)),
        ("Signing kids up for camp", (0, 18, 23, 29, 38, 45, 46)),
        ("Dealing with kids who misbehave", (7, 15, 16, 50)),
    ), (
        "Do parents want to order camp merchandise like t-shirts and hoodies?",
        "How do camp staff want to log their hours and get paid?",
        "What do hikers say about trail maps and route difficulty?",
        "Feedback on the mobile game's in-app purchases",
    )),
    Product("g04-recycling", "tuning", (
        ("How do people find somewhere to drop off their recycling?", (0, 1, 2, 3, 5, 6, 8, 9, 10, 35, 36, 47)),
        ("What do recycling centres want from the platform?", (42, 43, 44, 48, 49, 50)),
        ("Keeping users' personal data safe", (20, 22, 28, 37)),
        ("What do admins want to track on a dashboard?", (21, 23, 40, 43, 45)),
        ("Scheduling a collection from home", (4, 11, 24)),
    ), (
        "How do users want to pay their electricity bill?",
        "What do people think about the price of compost bin subscriptions?",
        "What do gamers say about controller latency?",
        "How do patients rate the appointment reminder texts?",
    )),
    Product("g13-planningpoker", "tuning", (
        ("How do teams get their backlog items into a session?", (2, 5, 13, 14)),
        ("Can people see what others estimated, and when are the cards revealed?", (8, 10, 31, 32, 34, 35)),
        ("Keeping a record of past sessions", (15, 16, 17, 18, 19, 38, 51)),
        ("Accounts and logging in", (20, 21, 22, 23, 25)),
        ("Does it work in older browsers and for people with disabilities?", (42, 45, 46)),
    ), (
        "How do teams want to track time spent on each ticket for billing?",
        "What do users think of the video call quality during meetings?",
        "Feedback on our pizza delivery tracking",
        "How do patients rate the appointment reminder texts?",
    )),
    Product("g03-loudoun", "heldout", (
        ("How do residents apply for a building permit online?", (1, 2, 3, 4, 5, 6, 8, 39)),
        ("How do inspectors want their site visits organised?", (46, 47, 48, 49, 50)),
        ("What do staff need to run public hearings?", (27, 28, 29, 30, 31, 32)),
        ("Reviewing submitted building plans", (9, 11, 22, 23, 34, 35, 36, 37, 38, 39, 40, 41)),
        ("Looking up property and parcel records", (0, 52, 53, 55, 56)),
    ), (
        "What do residents think about the library's e-book lending?",
        "How do people want to renew their driving licence?",
        "Feedback on the dating app's match suggestions",
        "How do players feel about the new battle pass?",
    )),
    Product("g19-alfred", "heldout", (
        ("How do older people want to talk to the device?", (1, 3, 11, 12, 13, 14, 24, 59, 60, 62, 65)),
        ("What do carers want to know about the person's health?", (54, 89, 90, 91, 92, 93, 95, 96, 113, 114)),
        ("Getting help in an emergency, such as after a fall", (35, 48, 49, 50, 57, 82)),
        ("Reminders to take medication and keep appointments", (36, 52, 53, 54, 66, 67, 68)),
        ("Who gets to see my personal information?", (0, 5, 34, 83, 84)),
        ("Staying active with exercise and games",
         (78, 79, 81, 96, 97, 98, 99, 100, 101, 102, 103, 104, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115,
          116, 117)),
        ("What do app developers need to sell their apps in the store?", (118, 119, 120, 121, 122, 125, 128)),
    ), (
        "How do carers want to plan their shifts and get paid for their hours?",
        "What do residents think about the nursing home's food menu?",
        "Feedback on the car insurance renewal process",
        "How do teenagers want to stream music at parties?",
    )),
    Product("g26-racdam", "heldout", (
        ("How do archivists want to control who can see sensitive files?",
         (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 89, 93, 94, 95, 96, 99)),
        ("How do people want to search for photos and documents in the archive?",
         (40, 55, 56, 57, 58, 59, 60, 62, 66, 67, 74, 76, 82, 83, 84, 85, 86, 91, 92)),
        ("Scanning and cleaning up images", (10, 17, 20, 22, 23, 24, 25, 26, 27, 28, 29, 31, 72)),
        ("Copyright and licensing of images", (0, 10, 11, 13, 35, 42, 44, 78, 85)),
        ("Adding new files to the system", (15, 16, 19, 22, 30, 61)),
        ("Citing archive material in publications", (21, 33, 36, 45, 70)),
    ), (
        "How do visitors want to buy tickets for the museum cafe?",
        "What do researchers say about the reading room's opening hours and wifi?",
        "Complaints about parking fees at the hospital",
        "How do shoppers feel about next-day delivery?",
    )),
)


def products(split: str | None = None) -> list[Product]:
    """The labelled backlogs of ``split`` ("tuning", "heldout"; all for None)."""
    return [p for p in PRODUCTS if split is None or p.split == split]


#: Near misses per backlog (same domain, not in the data; every key word checked absent with grep), written
#: 2026-12-04 for the abstention trade-off check (H8) before any rule was changed. They must abstain; none is used
#: to choose anything. The products' own ``off`` questions are kept apart (half of them are far topics).
NEAR_MISS: dict[str, tuple[str, ...]] = {
    "g27-culrepo": ("How do researchers want to book time on the library's 3D printers?",
                    "What do faculty say about plagiarism checking of student essays?",
                    "How do authors want to pay open-access article processing charges?"),
    "g12-camperplus": ("How do parents want to arrange the camp bus to pick up their kids?",
                       "What do parents think about the camp's meal menu?",
                       "How do parents want to pay camp fees in monthly instalments?"),
    "g04-recycling": ("How do residents want to report illegal dumping?",
                      "How do users want to sell their used furniture to neighbours?",
                      "What do people say about the price of bulky item pickup?"),
    "g13-planningpoker": ("How do teams want to run retrospectives after a sprint?",
                          "Do teams want a burndown chart of sprint progress?",
                          "How do users want to pay for a premium subscription?"),
    "g03-loudoun": ("How do residents want to pay parking tickets online?",
                    "What do residents say about reporting potholes on their road?",
                    "How do businesses renew their liquor licence?"),
    "g19-alfred": ("How do older people want to manage their pension and bank accounts?",
                   "What do older people say about hearing aid batteries?",
                   "How do carers want to order incontinence supplies?"),
    "g26-racdam": ("What do visitors say about the archive's guided tours?",
                   "How do archivists want to monitor the temperature and humidity of storage rooms?",
                   "How do staff want to schedule volunteers for the front desk?"),
    "g21-badcamp": ("How do attendees want to book a hotel room near the venue?",
                    "What do attendees think about the lunch and catering options?",
                    "How do volunteers want to sign up for shifts at the event?",
                    "Do attendees want the talks recorded and posted as videos?"),
    "g28-zooniverse": ("How do volunteers want to earn badges and points for their classifications?",
                       "What do users think of the subscription price for streaming music?",
                       "How do admins want to translate projects into other languages?",
                       "How do users want to download videos to watch offline?"),
    "g23-archivesspace": ("How do archivists want to print barcode labels for boxes?",
                          "What do researchers want for requesting items to the reading room?",
                          "How do archivists want to track items lent to other museums for exhibitions?"),
}

#: Answerable questions on three more backlogs (not labelled story by story: they judge abstention only), written
#: with :data:`NEAR_MISS`, in a PM's words rather than the stories'.
MORE_ANSWERABLE: dict[str, tuple[str, ...]] = {
    "g21-badcamp": ("How do companies want to pay for sponsoring the event?",
                    "How do speakers get their talk proposals reviewed?",
                    "What do attendees need to find their way around the venue?",
                    "Signing up for training classes"),
    "g28-zooniverse": ("What do admins need to catch unwanted or inappropriate videos before they go live?",
                       "How should volunteers be guided or taught while they classify?",
                       "Spotting animals automatically in camera trap pictures",
                       "How do users want to find new music?"),
    "g23-archivesspace": ("How do archivists want to bring in records from other systems?",
                          "Who is allowed to do what in the system: roles and permissions",
                          "Signing in to the application"),
}
