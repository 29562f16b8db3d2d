"""Form validation actions: one class per form, one ``validate_<slot>`` per slot."""
