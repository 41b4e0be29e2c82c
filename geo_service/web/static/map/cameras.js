/* Camera points on the map at GET /, clustered (vendored Leaflet.markercluster).
 *
 * Loaded only when the page's config says the camera layer is served
 * (GEO_SERVICE_CAMERA_POINTS_PUBLIC): camera locations are public-safety sensitive.
 * Fetches /api/cameras for the view (bbox, the page's date) after every move and draws
 * one circle per camera site (class "camera-point") in a cluster group. Only from a
 * commune's scale (MIN_ZOOM) on: a province or the country may hold a million cameras,
 * more than one answer should carry.
 * document.body.dataset.cameras is "loading", then "idle" once the view's points are drawn.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("map-config").textContent);
  const map = window.coverageMap;
  if (!config.cameras || !map) return;
  const LIMIT = 100000; // the API's largest page
  const MIN_ZOOM = 11;
  const cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 });
  cluster.addTo(map);
  let inFlight = null;

  function label(p) {
    const text = document.createElement("span");
    const parts = [p.model_name, p.name].filter((part) => part);
    text.textContent = parts.join(" — ");
    if (p.unit_name) text.append(document.createElement("br"), p.unit_name);
    if (p.cameras !== null && p.cameras !== undefined) {
      text.append(document.createElement("br"), `${p.cameras} camera`);
    }
    return text;
  }

  async function refresh() {
    if (inFlight) inFlight.abort();
    const controller = new AbortController();
    inFlight = controller;
    document.body.dataset.cameras = "loading";
    if (map.getZoom() < MIN_ZOOM) {
      cluster.clearLayers();
      document.body.dataset.cameras = "idle";
      return;
    }
    const params = new URLSearchParams({
      // From MIN_ZOOM on, the view never reaches past the poles or the antimeridian.
      bbox: map.getBounds().pad(0.1).toBBoxString(), limit: String(LIMIT), as_of: config.as_of,
    });
    try {
      const response = await fetch(`api/cameras?${params}`, { signal: controller.signal });
      if (!response.ok) return;
      const body = await response.json();
      if (controller.signal.aborted) return;
      cluster.clearLayers();
      cluster.addLayers(body.features.filter((f) => f.geometry).map((f) => {
        const [lon, lat] = f.geometry.coordinates;
        return L.circleMarker([lat, lon], {
          radius: 6, color: "#1f4e9c", weight: 1, fillOpacity: 0.8, className: "camera-point",
        }).bindTooltip(label(f.properties));
      }));
    } catch (error) {
      if (error.name !== "AbortError") throw error;
    } finally {
      if (inFlight === controller) document.body.dataset.cameras = "idle";
    }
  }

  map.on("moveend", refresh);
  if (map._loaded) refresh(); // the page may have set its view before this script ran
})();
