from bunri_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "users"
    # Dead-lettered points awards are put back on the queue this often (users/redrive.py),
    # each at most `max_redrives` times.
    redrive_interval_seconds: float = 300.0
    max_redrives: int = 10
