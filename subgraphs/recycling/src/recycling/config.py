from bunri_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "recycling"
