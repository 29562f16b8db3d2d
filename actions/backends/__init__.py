"""What the actions know about the company's order and billing systems."""
