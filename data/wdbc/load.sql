-- Load the bundled WDBC data (569 patients, 30 features) into wdbc(id, features, diagnosis).
-- Run from the repository root: \i data/wdbc/load.sql
SET client_min_messages = warning;
DROP TABLE IF EXISTS wdbc_csv;
CREATE TEMP TABLE wdbc_csv (id int, mean_radius float8, mean_texture float8, mean_perimeter float8, mean_area float8, mean_smoothness float8, mean_compactness float8, mean_concavity float8, mean_concave_points float8, mean_symmetry float8, mean_fractal_dimension float8, radius_error float8, texture_error float8, perimeter_error float8, area_error float8, smoothness_error float8, compactness_error float8, concavity_error float8, concave_points_error float8, symmetry_error float8, fractal_dimension_error float8, worst_radius float8, worst_texture float8, worst_perimeter float8, worst_area float8, worst_smoothness float8, worst_compactness float8, worst_concavity float8, worst_concave_points float8, worst_symmetry float8, worst_fractal_dimension float8, diagnosis text);
\copy wdbc_csv FROM 'data/wdbc/wdbc.csv' WITH (FORMAT csv, HEADER true)
DROP TABLE IF EXISTS wdbc;
CREATE TABLE wdbc AS SELECT id, ARRAY[mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, mean_compactness, mean_concavity, mean_concave_points, mean_symmetry, mean_fractal_dimension, radius_error, texture_error, perimeter_error, area_error, smoothness_error, compactness_error, concavity_error, concave_points_error, symmetry_error, fractal_dimension_error, worst_radius, worst_texture, worst_perimeter, worst_area, worst_smoothness, worst_compactness, worst_concavity, worst_concave_points, worst_symmetry, worst_fractal_dimension]::float8[] AS features, diagnosis FROM wdbc_csv ORDER BY id;
ALTER TABLE wdbc ADD PRIMARY KEY (id);
DROP TABLE wdbc_csv;
RESET client_min_messages;
