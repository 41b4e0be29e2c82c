"""Configuration, read from the environment (prefix ``GEO_SERVICE_``) when ``Settings()`` is built.

Nothing here is instantiated at import time: ``create_app()`` and the CLI build a
``Settings`` themselves, so tests and embedders can pass their own.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
# Inside the package, so that a wheel carries the demo; in the work tree this is a link to
# data/, where the bundled files and their sources and licences are kept (pyproject.toml).
DEMO_DATA_DIR = PACKAGE_DIR / "demo_data" / "boundaries"
MIN_WRITE_TOKEN_CHARS = 16
# Far above any real boundary (the 2025 communes at full resolution have at most 3,837
# vertices, provinces 8,814), far below what weighs down a page or the server.
DEFAULT_MAX_VERTICES_PER_FEATURE = 100_000


class CoveragePolicy(BaseModel):
    """When a village counts as covered.

    The default is the Foundation rule: at least one active model of any type that counts
    as a model. ``required_types`` narrows it ("requires patrol_team"): every listed type
    must be present and active in the village.
    """

    min_active_models: int = Field(default=1, ge=1)
    required_types: list[str] = Field(default_factory=list)
    active_statuses: list[str] = Field(default_factory=lambda: ["active"])


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GEO_SERVICE_", env_nested_delimiter="__", extra="ignore"
    )

    store_path: Path = Field(
        default=Path("geo-service.gpkg"),
        description="GeoPackage file of the embedded store; created on first use.",
    )
    coverage: CoveragePolicy = Field(default_factory=CoveragePolicy)
    demo: bool = Field(default=False, description="Load the bundled demo into an empty store.")
    max_feature_limit: int = Field(
        default=100_000,
        ge=1,
        description="Most rows one page of an /api list or of /ogc items may hold (its "
        "`limit`); more is a 400.",
    )
    default_feature_limit: int = Field(
        default=100, ge=1, description="Features in a page of /ogc items when no limit is asked."
    )
    default_page_limit: int = Field(
        default=1000,
        ge=1,
        description="Rows of an /api list page when the request names no `limit`; "
        "downloads (CSV, download=true) take up to max_feature_limit.",
    )
    tile_cache_mb: int = Field(
        default=64, ge=0, description="Memory for vector tiles kept per store generation (MB)."
    )
    geometry_cache_mb: int = Field(
        default=64,
        ge=0,
        description="Memory for units' geometry kept as GeoJSON text per store generation "
        "(MB), so downloads and pages do not encode it again.",
    )
    coverage_cache_entries: int = Field(
        default=64,
        ge=1,
        description="Coverage views (per store state, policy, day and subtree) each server "
        "process keeps.",
    )
    uploads_enabled: bool = Field(
        default=False,
        description="Accept imports over HTTP (POST /api/imports/...). Off until roles exist.",
    )
    camera_points_public: bool = Field(
        default=False,
        description="Serve camera points (GET /api/cameras, the map's camera markers). "
        "Camera locations are public-safety sensitive: off until roles exist.",
    )
    write_token: SecretStr | None = Field(
        default=None,
        validate_default=True,
        description="Bearer token every write over HTTP (uploads, undo) must send as "
        "'Authorization: Bearer <token>'. Required when uploads are enabled.",
    )
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    max_unzipped_bytes: int = Field(
        default=1 << 30,
        ge=1024,
        description="Most bytes a zip (KMZ, zipped Shapefile, XLSX) may inflate to, counted "
        "while inflating: its headers are not trusted.",
    )
    max_vertices_per_feature: int = Field(
        default=DEFAULT_MAX_VERTICES_PER_FEATURE,
        ge=4,
        description="Most vertices one imported boundary may have; a file with a larger "
        "one is refused, naming its row.",
    )
    host: str = "127.0.0.1"
    port: int = 8000

    @field_validator("write_token")
    @classmethod
    def _token_for_uploads(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """Uploads without a token would let anyone who reaches the port import and undo."""
        token = value.get_secret_value().strip() if value is not None else ""
        if info.data.get("uploads_enabled") and len(token) < MIN_WRITE_TOKEN_CHARS:
            raise PydanticCustomError(
                "write_token_missing",
                "uploads are enabled but GEO_SERVICE_WRITE_TOKEN is "
                + ("not set" if not token else f"shorter than {MIN_WRITE_TOKEN_CHARS} characters")
                + "; set it to a long random secret (python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'), or turn uploads off",
            )
        return SecretStr(token) if token else None

    @field_validator("store_path")
    @classmethod
    def _store_suffix(cls, value: Path) -> Path:
        if value.suffix.lower() != ".gpkg":
            raise ValueError(f"store_path must end in .gpkg, got {value}")
        return value
