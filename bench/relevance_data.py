"""Questions for the relevance benchmark and the calibration of the relevance floor.

Two disjoint sets, both written by hand in plain words (never an intent's name):

* ``CALIBRATION_*`` fit :data:`tools.relevance.FITTED` (``python -m bench.relevance --fit``):
  questions about BANKING77 intents and about single backlogs of the user-stories set, plus
  questions about topics those corpora do not contain;
* ``BENCH_*`` are measured by ``make bench`` (``bench/relevance.py``): 32 questions about one or a
  few BANKING77 intents (the intents a relevant answer may cite), 12 about topics absent from the
  data (half of them other banking products: the near misses), and 5 goals for ``run``.
"""

from __future__ import annotations

#: (question, intents it is about) — calibration, BANKING77 train.
CALIBRATION_BANKING: list[tuple[str, list[str]]] = [
    ("How long are people waiting for their new card to show up in the post?",
     ["card_arrival", "card_delivery_estimate"]),
    ("Do customers struggle to connect an existing card to their account in the app?", ["card_linking"]),
    ("What do users think of the currency conversion rates we offer?", ["exchange_rate"]),
    ("Complaints that a purchase abroad was converted at a bad rate", ["card_payment_wrong_exchange_rate"]),
    ("Unexpected fees showing up on the monthly statement", ["extra_charge_on_statement"]),
    ("Cash taken out at a machine that still shows as pending", ["pending_cash_withdrawal"]),
    ("Which currencies can people hold and spend with us?",
     ["fiat_currency_support", "supported_cards_and_currencies"]),
    ("Problems with the automatic balance reload feature", ["automatic_top_up"]),
    ("Card suddenly stopped working at shops", ["card_not_working"]),
    ("Converting money between currencies inside the app", ["exchange_via_app"]),
    ("What happens when someone loses their card or it gets stolen?", ["lost_or_stolen_card"]),
    ("Can teenagers or minors open an account?", ["age_limit"]),
    ("PIN locked after too many wrong attempts", ["pin_blocked"]),
    ("Tap to pay not working at terminals", ["contactless_not_working"]),
    ("Money added to the account that is stuck and not yet available", ["pending_top_up"]),
    ("Users wanting to undo a payment they sent by mistake", ["cancel_transfer"]),
    ("Maximum amount people can load onto their account", ["top_up_limits"]),
    ("ATM gave out less cash than requested", ["wrong_amount_of_cash_received"]),
    ("Transfers that the recipient says never arrived", ["transfer_not_received_by_recipient"]),
    ("Demand for virtual cards for online shopping", ["getting_virtual_card", "get_disposable_virtual_card"]),
    ("Shops or websites that refuse the card", ["card_acceptance"]),
    ("Deposited a cheque or cash but the balance did not change", ["balance_not_updated_after_cheque_or_cash_deposit"]),
    ("Card transactions customers do not recognise on their account", ["card_payment_not_recognised"]),
    ("Changing name, address or other profile details", ["edit_personal_details"]),
    ("Why do we ask people to prove who they are?", ["why_verify_identity", "verify_my_identity"]),
    ("Identity check keeps failing for some users", ["unable_to_verify_identity"]),
    ("Is the card Visa or Mastercard?", ["visa_or_mastercard"]),
    ("Suspicion that card details were stolen or used by fraudsters", ["compromised_card"]),
    ("Forgot the login passcode for the app", ["passcode_forgotten"]),
    ("Cash machine refusing a withdrawal", ["declined_cash_withdrawal"]),
    ("Lost phone and worried about access to the account", ["lost_or_stolen_phone"]),
    ("People asking for their money back from a merchant", ["request_refund", "Refund_not_showing_up"]),
    ("Closing the account for good", ["terminate_account"]),
    ("An ATM kept the card and did not give it back", ["card_swallowed"]),
    ("Being charged twice for the same purchase", ["transaction_charged_twice"]),
    ("How long does a bank transfer take to arrive?", ["transfer_timing", "pending_transfer"]),
    ("Setting a new PIN", ["change_pin"]),
    ("Fees charged when sending a transfer", ["transfer_fee_charged"]),
    ("Getting paid by someone, receiving salary into the account", ["receiving_money", "transfer_into_account"]),
    ("Wanting an extra card for a family member", ["getting_spare_card"]),
    ("Using Apple Pay or Google Pay with the card", ["apple_pay_or_google_pay"]),
    ("Which countries is the service available in?", ["country_support"]),
    ("Card expiring soon and how to get a replacement", ["card_about_to_expire"]),
    ("Charges for withdrawing cash", ["cash_withdrawal_charge"]),
    ("Turning on a newly received card", ["activate_my_card"]),
    ("Payments that were declined at checkout", ["declined_card_payment"]),
]

#: (question, backlog file stem) — calibration, user-stories (a second, very different corpus).
CALIBRATION_STORIES: list[tuple[str, list[str]]] = [
    ("What do parents and camp staff need for managing campers?", ["g12-camperplus"]),
    ("How do teams want to estimate stories with cards in a poker-style game?", ["g13-planningpoker"]),
    ("What do residents want from recycling and waste pickup?", ["g04-recycling"]),
    ("What do certified trainers need for listing courses and classes?", ["g10-scrumalliance"]),
    ("What do sponsors of the Drupal camp event want?", ["g21-badcamp"]),
    ("What do older people need from an assistant device at home?", ["g19-alfred"]),
    ("How do researchers want to record experiments and lab data about the brain?", ["g18-neurohub"]),
    ("What do applicants and staff need for permit applications and inspections?", ["g03-loudoun"]),
    ("What do agencies need for submitting spending files and validations?", ["g02-federalspending"]),
    ("What do volunteers and admins of citizen-science projects want?", ["g28-zooniverse"]),
]

#: Questions about topics absent from the calibration corpora (some near misses in banking).
CALIBRATION_OFF_BANKING: list[str] = [
    "What do customers think about our mortgage rates?",
    "How do users rate our stock trading and brokerage features?",
    "Feedback on our car insurance claims process",
    "Do customers want a crypto staking product with yield?",
    "How do people feel about the loan application for small businesses?",
    "What do users say about the dark mode of the app?",
    "Complaints about the podcast recommendations",
    "How satisfied are hospital radiologists with image viewer latency?",
    "What do users think of our pension and retirement savings plans?",
    "Requests for a travel insurance add-on",
    "Feedback about the credit score monitoring feature",
    "What do farmers say about crop yield forecasts?",
    "Do customers like the budgeting charts and spending categories?",
    "Opinions on the overdraft interest we charge",
]
CALIBRATION_OFF_STORIES: list[str] = [
    "How do customers feel about card payment fees abroad?",
    "What do gamers say about matchmaking and lag?",
    "Complaints about delivery drivers being late with food orders",
]

#: (question, intents a relevant answer may cite) — measured by the benchmark, BANKING77 train.
BENCH_IN: list[tuple[str, list[str]]] = [
    ("My new card never came in the mail — how common is that?", ["card_arrival", "card_delivery_estimate"]),
    ("When do people expect the plastic card to be delivered?", ["card_delivery_estimate", "card_arrival"]),
    ("What goes wrong when people add money to their balance using a debit card?",
     ["top_up_failed", "topping_up_by_card", "top_up_by_card_charge", "pending_top_up", "top_up_reverted",
      "card_payment_fee_charged"]),
    ("Why do customers get charged when they fund their account with a card?",
     ["top_up_by_card_charge", "topping_up_by_card", "card_payment_fee_charged"]),
    ("How do people react when a cash machine swallows their card?", ["card_swallowed"]),
    ("What do users say about being charged for taking out cash?", ["cash_withdrawal_charge"]),
    ("The cash dispensed did not match what I asked for", ["wrong_amount_of_cash_received"]),
    ("Customers who forgot their PIN or got it blocked", ["pin_blocked", "change_pin"]),
    ("How do people want to change their PIN number?", ["change_pin", "pin_blocked"]),
    ("Payments on the card that the customer never made", ["card_payment_not_recognised", "compromised_card",
                                                          "cash_withdrawal_not_recognised",
                                                          "direct_debit_payment_not_recognised"]),
    ("Someone else used my card details", ["compromised_card", "card_payment_not_recognised", "lost_or_stolen_card"]),
    ("Customers who want to shut down their account", ["terminate_account"]),
    ("What frustrates users about proving their identity during sign-up?",
     ["unable_to_verify_identity", "verify_my_identity", "why_verify_identity"]),
    ("Why does the app need a photo of my ID?", ["why_verify_identity", "verify_my_identity",
                                                  "unable_to_verify_identity"]),
    ("A purchase appeared twice on my statement", ["transaction_charged_twice"]),
    ("How long does it take for money sent to another bank to arrive?",
     ["transfer_timing", "pending_transfer", "transfer_not_received_by_recipient",
      "balance_not_updated_after_bank_transfer"]),
    ("My friend says my payment never reached them", ["transfer_not_received_by_recipient", "pending_transfer",
                                                      "transfer_timing", "failed_transfer"]),
    ("Can I reverse a transfer I made to the wrong person?", ["cancel_transfer"]),
    ("Fees for sending money to another account", ["transfer_fee_charged"]),
    ("What do customers say about paying with their phone using Apple or Google wallets?",
     ["apple_pay_or_google_pay"]),
    ("Tapping the card at the till does not work", ["contactless_not_working", "card_not_working"]),
    ("How old do you have to be to get an account?", ["age_limit"]),
    ("Is the card accepted in which countries, and can I use it abroad?",
     ["country_support", "card_acceptance", "supported_cards_and_currencies"]),
    ("A one-time card number for safer online purchases", ["get_disposable_virtual_card", "getting_virtual_card",
                                                           "disposable_card_limits", "virtual_card_not_working"]),
    ("Refunds that customers are still waiting for", ["Refund_not_showing_up", "request_refund"]),
    ("The exchange rate I got on a card purchase abroad looks wrong",
     ["card_payment_wrong_exchange_rate", "exchange_rate", "wrong_exchange_rate_for_cash_withdrawal",
      "exchange_charge"]),
    ("Extra fees for converting between currencies", ["exchange_charge", "exchange_rate", "exchange_via_app",
                                                      "card_payment_wrong_exchange_rate"]),
    ("My card will expire soon, what happens next?", ["card_about_to_expire", "order_physical_card"]),
    ("Customers who lost their phone with the banking app on it", ["lost_or_stolen_phone"]),
    ("Depositing a cheque that has not shown in the balance yet",
     ["balance_not_updated_after_cheque_or_cash_deposit", "top_up_by_cash_or_cheque"]),
    ("Automatically reloading the account when the balance is low", ["automatic_top_up", "top_up_limits"]),
    ("People who need a second card for their partner or child", ["getting_spare_card", "order_physical_card",
                                                                   "age_limit"]),
]

#: Questions on topics the data does not hold (the first six are near misses: other banking products).
BENCH_OFF: list[str] = [
    "What do customers say about our mortgage interest rates?",
    "How do people feel about the fees of our stock trading platform?",
    "Feedback on the home insurance policy renewal",
    "Do customers want a personal loan with a fixed repayment plan?",
    "How are users finding the robo-advisor's investment portfolios?",
    "What do people think of our credit card cashback rewards?",
    "How do users feel about the dark mode theme?",
    "What do hospital radiologists think about DICOM viewer latency?",
    "Complaints about the music playlist shuffle",
    "What do drivers say about the route navigation in the truck app?",
    "How do students rate the online course video quality?",
    "Feedback on the hotel booking cancellation policy",
]

#: (goal, intents its evidence may cite) for ``run`` on the same workspace.
BENCH_GOALS: list[tuple[str, list[str]]] = [
    ("Draft requirements to stop ATMs from keeping customers' cards", ["card_swallowed"]),
    ("Requirements for reducing failed identity verification at sign-up",
     ["unable_to_verify_identity", "verify_my_identity", "why_verify_identity"]),
    ("Draft requirements so customers are no longer charged twice for one purchase",
     ["transaction_charged_twice", "card_payment_fee_charged", "extra_charge_on_statement"]),
    ("Requirements for faster delivery of new physical cards",
     ["card_arrival", "card_delivery_estimate", "order_physical_card", "get_physical_card"]),
    ("Draft requirements to let customers cancel a bank transfer sent by mistake",
     ["cancel_transfer", "transfer_not_received_by_recipient"]),
]

#: A goal on a topic the data does not hold: the run must find no relevant evidence and write no stories.
BENCH_OFF_GOAL = "Draft requirements for the mortgage application flow"
