"""Rasa custom actions (rasa-sdk action server, `--actions actions`: it imports every module of
this package and registers every Action subclass). Thin: dialogue in, service calls, messages out.
By topic: forms, requests, queries, proposals, topic_cases, handoff, notifications, satisfaction, faq,
clarify; words/ puts the service's results into words, contracts types what the actions read of them."""

from actions import runtime

# Fail at start-up, not at the first chat, when the configuration is unusable (e.g. production
# without real secrets).
runtime.settings()
