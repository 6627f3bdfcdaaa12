"""The rows that say who is calling: accounts, their systems and their credentials (and when each was last used).

They sit below `auth`, which reads all three to resolve a token in one query, and below every package whose routes
need a principal (`systems`, `tokens`, `accounts`, ...): each of those packages keeps its rules, these tables are
shared. The account's life (register, login, changes) is in `accounts/`, a system's profile in `systems/`, tokens
in `tokens/`.
"""
