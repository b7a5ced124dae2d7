"""The in-session capture: IPNB event kinds (kinds.py), the timeline, integration
indicators and ratings."""
