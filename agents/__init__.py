"""The agent graph: planner → researchers → scorer → writer ⇄ review → validation → human review."""
