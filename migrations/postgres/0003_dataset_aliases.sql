-- Other names of a dataset (an organisation's own names for it, e.g. an OpenLineage dataset's
-- symlinks: a table and its file location), recorded with the registration that declared them and
-- announced in its `dataset.registered` event. An alias names a dataset by its registry name, so
-- every version of that name answers to it. The first registration to claim an alias keeps it.
CREATE TABLE dataset_aliases (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    alias           text NOT NULL,
    dataset_name    text NOT NULL,
    PRIMARY KEY (organization_id, alias)
);

CREATE TRIGGER dataset_aliases_immutable BEFORE UPDATE OR DELETE ON dataset_aliases
    FOR EACH ROW EXECUTE FUNCTION refuse_change('dataset aliases are immutable');

-- OpenLineage ingestion looks up the datasets that read a newly registered one as an external
-- source (to link it in their next version).
CREATE INDEX dataset_sources_by_external_uri ON dataset_sources (uri) WHERE kind = 'external_dataset';
