from actions.backends.resilience import CircuitBreaker, RetryPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_backoff_doubles_up_to_the_cap():
    policy = RetryPolicy(attempts=5, base_delay=0.1, max_delay=0.3)
    assert [policy.delay_before(n) for n in (2, 3, 4, 5)] == [0.1, 0.2, 0.3, 0.3]


def test_breaker_opens_after_the_threshold_and_half_opens_after_the_cooldown():
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, cooldown=10, clock=clock)
    breaker.record_failure()
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    clock.now = 10
    assert breaker.state == "half-open" and breaker.allow()


def test_a_failed_trial_reopens_and_a_success_closes():
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown=5, clock=clock)
    breaker.record_failure()
    clock.now = 5
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now = 10
    breaker.record_success()
    assert breaker.state == "closed"
