-- GeoPackage 1.3 core tables plus the service's tables. Idempotent.
PRAGMA application_id = 1196444487;  -- 'GPKG'
PRAGMA user_version = 10300;

CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT
);
INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
  ('WGS 84 geodetic', 4326, 'EPSG', 4326,
   'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
   'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');

CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);
CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
);

-- Administrative units and villages. (code, valid_from) is the natural key: codes are
-- reused across the 2025 reform, so a code names one unit only at a given date.
CREATE TABLE IF NOT EXISTS units (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom GEOMETRY,
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  unit_type TEXT NOT NULL,
  level INTEGER NOT NULL,
  parent_code TEXT,
  population INTEGER,
  households INTEGER,
  valid_from DATE,
  valid_to DATE,
  geometry_quality TEXT NOT NULL,
  label_lon DOUBLE,
  label_lat DOUBLE,
  source TEXT,
  import_id INTEGER
);
CREATE INDEX IF NOT EXISTS units_code ON units(code);
CREATE INDEX IF NOT EXISTS units_parent ON units(parent_code);
CREATE INDEX IF NOT EXISTS units_level ON units(level);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
  VALUES ('units', 'features', 'units', 'Administrative units and villages (EPSG:4326)', 4326);
INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('units', 'geom', 'MULTIPOLYGON', 4326, 0, 0);

CREATE TABLE IF NOT EXISTS lineage (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  old_code TEXT NOT NULL, new_code TEXT NOT NULL, kind TEXT NOT NULL, effective DATE NOT NULL,
  import_id INTEGER, UNIQUE (old_code, new_code)
);
CREATE TABLE IF NOT EXISTS former_names (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  code TEXT NOT NULL, name TEXT NOT NULL, until DATE, source TEXT NOT NULL,
  import_id INTEGER, UNIQUE (code, name)
);
CREATE TABLE IF NOT EXISTS model_types (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  code TEXT NOT NULL UNIQUE, name_vi TEXT NOT NULL, name_en TEXT NOT NULL,
  counts_as_model BOOLEAN NOT NULL, member_unit TEXT NOT NULL, description TEXT, import_id INTEGER,
  aliases TEXT
);
CREATE TABLE IF NOT EXISTS models (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  model_id TEXT NOT NULL UNIQUE, type_code TEXT NOT NULL, name TEXT NOT NULL,
  unit_code TEXT NOT NULL, launch_date DATE, status TEXT NOT NULL,
  members INTEGER, households INTEGER, cameras INTEGER, tips INTEGER, valuable_tips INTEGER,
  tips_year INTEGER, decision TEXT, extra TEXT, import_id INTEGER, ended_on DATE
);
CREATE INDEX IF NOT EXISTS models_unit ON models(unit_code);
CREATE TABLE IF NOT EXISTS teams (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  team_id TEXT NOT NULL UNIQUE, model_id TEXT NOT NULL, unit_code TEXT NOT NULL, name TEXT,
  members INTEGER, households INTEGER, cameras INTEGER, leader_role TEXT, import_id INTEGER,
  lon DOUBLE, lat DOUBLE, geom POINT
);
CREATE INDEX IF NOT EXISTS teams_model ON teams(model_id);
CREATE INDEX IF NOT EXISTS teams_unit ON teams(unit_code);
CREATE TABLE IF NOT EXISTS imports (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  at DATETIME NOT NULL, kind TEXT NOT NULL, file_name TEXT NOT NULL, sha256 TEXT NOT NULL,
  counts TEXT NOT NULL, undone_at DATETIME, notes TEXT
);
-- The rows an import replaced, as they were, so the import can be undone.
CREATE TABLE IF NOT EXISTS import_undo (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  import_id INTEGER NOT NULL, table_name TEXT NOT NULL, row TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS import_undo_import ON import_undo(import_id);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) VALUES
  ('lineage', 'attributes', 'lineage', 'Old -> new unit links of administrative reforms'),
  ('former_names', 'attributes', 'former_names', 'Names units had before a rename'),
  ('model_types', 'attributes', 'model_types', 'Catalogue of self-management model types'),
  ('models', 'attributes', 'models', 'Self-management models (no personal data)'),
  ('imports', 'attributes', 'imports', 'Import log');
-- Sites are features: their point, where the register gave one (a file made before sites
-- had points gets the columns and this registration from gpkg_file.complete_schema).
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
  VALUES ('teams', 'features', 'teams',
          'Teams / sites of models: counts, role titles and site points (EPSG:4326)', 4326);
INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('teams', 'geom', 'POINT', 4326, 0, 0);
