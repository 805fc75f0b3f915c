-- wdbc_feature_names(feature, name): the 30 WDBC feature names in array order,
-- to build a feature_names option: (SELECT jsonb_agg(name ORDER BY feature) FROM wdbc_feature_names)
SET client_min_messages = warning;
DROP TABLE IF EXISTS wdbc_feature_names;
CREATE TABLE wdbc_feature_names AS
SELECT feature::int, name FROM unnest(ARRAY['mean_radius', 'mean_texture', 'mean_perimeter', 'mean_area', 'mean_smoothness', 'mean_compactness', 'mean_concavity', 'mean_concave_points', 'mean_symmetry', 'mean_fractal_dimension', 'radius_error', 'texture_error', 'perimeter_error', 'area_error', 'smoothness_error', 'compactness_error', 'concavity_error', 'concave_points_error', 'symmetry_error', 'fractal_dimension_error', 'worst_radius', 'worst_texture', 'worst_perimeter', 'worst_area', 'worst_smoothness', 'worst_compactness', 'worst_concavity', 'worst_concave_points', 'worst_symmetry', 'worst_fractal_dimension']) WITH ORDINALITY AS t(name, feature);
RESET client_min_messages;
