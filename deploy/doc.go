// Package deploy holds no code: it is the home of the deployment artefacts
// (systemd unit, Dockerfile, compose file, ClickHouse users, Grafana
// provisioning and dashboard, the switch recipes) and of the tests that
// check them with the real tools where they are installable here:
// systemd-analyze, kamailio, acdstat's own decoders and a real ClickHouse
// running every query of the Grafana dashboard.
package deploy
