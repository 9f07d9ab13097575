CREATE TABLE IF NOT EXISTS repo_topics (
  repo_id integer NOT NULL REFERENCES repos (id),
  topic text NOT NULL,
  PRIMARY KEY (repo_id, topic)
);
