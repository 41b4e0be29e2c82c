/* The map page at GET /: fetches what the view shows from /api/map and draws it.
 *
 * Zoom picks the level: provinces, districts (none after the 2025 reform: the server then
 * answers with communes), communes, villages. Clicking an area zooms to it and shows its
 * children, whatever its size. Uncovered villages are red dots at every zoom (a canvas
 * above the areas), listed beside the map. The URL keeps unit, date, zoom and centre.
 * document.body.dataset.state is "loading" while requests run and "idle" once everything
 * asked for is drawn (tests and the benchmark wait for it).
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("map-config").textContent);
  const VIETNAM = [[8.3, 102.1], [23.4, 109.5]];
  const LEVELS_BY_ZOOM = [[12, 4], [9, 3], [7, 2], [0, 1]];
  const GAP_LIST_SIZE = 100;
  const side = document.querySelector("aside.map-side");
  const status = side.querySelector(".map-status");
  const state = {
    asOf: config.as_of,
    focus: config.unit, // {code, level, bounds} or null
    focusZoom: null,
  };

  const map = L.map("map", { minZoom: 4, maxZoom: 18, zoomSnap: 0.5 });
  window.coverageMap = map; // for tests and the benchmark
  // The service works offline: the plain background is the default, OpenStreetMap's tiles
  // (fetched from the internet) are one click away in the layers control.
  const plain = L.layerGroup().addTo(map);

  for (const [name, z] of [["areas", 380], ["villages", 400], ["outlines", 420], ["gaps", 450]]) {
    map.createPane(name).style.zIndex = String(z);
  }
  map.getPane("outlines").style.pointerEvents = "none";
  // Every uncovered village of the view as one dot on one canvas: Leaflet's canvas renderer
  // keeps the canvas placed, sized and animated with the map, and its drawing step paints the
  // points itself, without one Leaflet layer object per dot (thousands in a province).
  const GapDots = L.Canvas.extend({
    setDots(points, style) {
      this._dots = points;
      this._dotStyle = style;
      if (!this._map) return;
      this._redrawBounds = null; // all of the canvas
      this._redraw();
    },

    _draw() {
      L.Canvas.prototype._draw.call(this);
      if (!this._dots || !this._dots.length) return;
      const { radius, weight, color, fillColor } = this._dotStyle;
      const r = Math.max(Math.round(radius), 1); // as Leaflet rounds a circle marker's radius
      const ctx = this._ctx;
      const { min, max } = this._bounds;
      const margin = r + weight;
      ctx.save();
      ctx.globalAlpha = 1;
      ctx.fillStyle = fillColor;
      ctx.strokeStyle = color;
      ctx.lineWidth = weight;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.setLineDash([]);
      // Fill and stroke one dot at a time, as separate markers were: a dense cluster keeps
      // red fills over its neighbours' dark rims.
      for (const [lon, lat] of this._dots) {
        const p = this._map.latLngToLayerPoint([lat, lon]);
        if (p.x < min.x - margin || p.x > max.x + margin || p.y < min.y - margin || p.y > max.y + margin) continue;
        ctx.beginPath();
        ctx.arc(p.x, p.y, r, 0, Math.PI * 2, false);
        ctx.fill("evenodd");
        ctx.stroke();
      }
      ctx.restore();
    },
  });
  // The canvas spans the box the dots are fetched for (the view padded by 10%, as in refresh).
  const gapDots = new GapDots({ pane: "gaps", padding: 0.1 }).addTo(map);
  const legend = document.querySelector("section.legend");
  const layers = {
    areas: L.layerGroup().addTo(map),
    villages: L.layerGroup().addTo(map),
    outlines: L.layerGroup().addTo(map),
  };

  // -- fetching ------------------------------------------------------------------------
  let inFlight = null;
  let pending = 0;

  function setBusy(delta) {
    pending += delta;
    document.body.dataset.state = pending > 0 ? "loading" : "idle";
  }

  async function getJson(url, signal) {
    const response = await fetch(url, { signal, headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) {
      const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
      throw new Error(detail);
    }
    return body;
  }

  function query(params) {
    return new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== "")).toString();
  }

  function boxOf(bounds) {
    const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
    return [
      clamp(bounds.getWest(), -180, 180), clamp(bounds.getSouth(), -90, 90),
      clamp(bounds.getEast(), -180, 180), clamp(bounds.getNorth(), -90, 90),
    ].map((v) => v.toFixed(5)).join(",");
  }

  function levelShown() {
    const zoom = map.getZoom();
    const level = LEVELS_BY_ZOOM.find(([from]) => zoom >= from)[1];
    if (!state.focus || state.focusZoom === null || zoom < state.focusZoom - 1) return level;
    // A unit in focus shows its children, whatever its size, until one zooms well past it.
    const children = Math.min(state.focus.level + 1, 4);
    return zoom >= state.focusZoom + 2 ? Math.max(level, children) : children;
  }

  async function refresh() {
    if (inFlight) inFlight.abort();
    const controller = new AbortController();
    inFlight = controller;
    const box = boxOf(map.getBounds().pad(0.1));
    const level = levelShown();
    const zoom = Math.round(map.getZoom());
    const asked = [
      getJson(`api/map/features?${query({ bbox: box, level, as_of: state.asOf })}`, controller.signal),
      level === 4
        ? getJson(`api/map/features?${query({ bbox: box, level: 3, as_of: state.asOf })}`, controller.signal)
        : Promise.resolve(null),
      getJson(`api/map/gaps?${query({ bbox: box, zoom, listed: GAP_LIST_SIZE, as_of: state.asOf })}`, controller.signal),
    ];
    // The dots and the list are drawn as soon as their answer is in, while the areas'
    // answers may still be on the way.
    asked[2] = asked[2].then((gaps) => {
      if (!controller.signal.aborted) drawGaps(gaps, box);
      return gaps;
    });
    setBusy(1);
    try {
      const [areas, outlines, gaps] = await Promise.all(asked);
      if (controller.signal.aborted) return;
      status.textContent = "";
      drawAreas(areas);
      drawOutlines(outlines);
      showLegend(areas, outlines, gaps);
    } catch (error) {
      if (error.name !== "AbortError") status.textContent = `Không tải được dữ liệu (could not load data): ${error.message}`;
    } finally {
      setBusy(-1);
    }
  }

  // -- drawing ---------------------------------------------------------------------------
  function coverageClass(p) {
    if (p.data_status === "no_data" || p.pct === null) return "coverage-none";
    if (p.pct >= 100) return "coverage-full";
    if (p.pct >= 50) return "coverage-high";
    if (p.pct > 0) return "coverage-low";
    return "coverage-zero";
  }

  const FILLS = {
    "coverage-full": "#238b45", "coverage-high": "#74c476", "coverage-low": "#c7e9c0",
    "coverage-zero": "#f7fcf5", "coverage-none": "#9e9e9e",
  };

  function areaStyle(feature) {
    const p = feature.properties;
    if (p.kind === "village") {
      const covered = p.status === "covered";
      const approximate = p.quality === "approximate";
      return {
        className: `village village-${p.status}${approximate ? " village-approximate" : ""}`,
        fillColor: covered ? "#1a9641" : "#d7191c", color: covered ? "#0b5e2a" : "#67000d",
        weight: covered ? 1.5 : 3.5, opacity: 1, fillOpacity: covered ? 0.45 : 0.7,
        dashArray: approximate ? "6 4" : null,
      };
    }
    if (p.kind === "no_data") {
      return { className: "no-data-area", color: "#4d4d4d", weight: 1, dashArray: "2 4",
               fillColor: "#8c8c8c", fillOpacity: 0.55 };
    }
    const css = coverageClass(p);
    return {
      className: `unit-area level-${p.level} ${css}`, color: "#08306b", weight: p.level === 1 ? 1.5 : 1,
      opacity: 0.8, fillColor: FILLS[css], fillOpacity: 0.7, dashArray: css === "coverage-none" ? "4 3" : null,
    };
  }

  function drawAreas(collection) {
    layers.areas.clearLayers();
    layers.villages.clearLayers();
    const villages = collection.level === 4;
    const layer = L.geoJSON(collection, {
      pane: villages ? "villages" : "areas",
      style: areaStyle,
      onEachFeature(feature, shape) {
        const p = feature.properties;
        if (p.tooltip) shape.bindTooltip(p.tooltip, { sticky: true });
        shape.on("add", () => {
          const element = shape.getElement && shape.getElement();
          if (element) element.setAttribute("data-code", p.code);
        });
        if (p.kind === "unit") shape.on("click", (event) => focusUnit(p.code, event.latlng));
        if (p.kind === "village") shape.on("click", (event) => openPopup(p.code, event.latlng));
      },
    });
    // No-data areas lie under the villages: they are greyed parts of communes.
    (villages ? layers.villages : layers.areas).addLayer(layer);
    layer.eachLayer((shape) => {
      if (shape.feature.properties.kind === "no_data") shape.bringToBack();
    });
  }

  function drawOutlines(collection) {
    layers.outlines.clearLayers();
    if (!collection) return;
    layers.outlines.addLayer(L.geoJSON(collection, {
      pane: "outlines", interactive: false,
      style: () => ({ className: "commune-outline", color: "#08306b", weight: 2.5, fill: false, opacity: 0.9 }),
    }));
  }

  function drawGaps(gaps, box) {
    // Small dots where they are dense (the coverage colours stay readable between them),
    // each still wider than the cell the server thins them to.
    const zoom = map.getZoom();
    const radius = zoom >= 12 ? 6 : zoom >= 9 ? 3.5 : zoom >= 7 ? 3 : 2.5;
    const weight = zoom >= 9 ? 1.2 : 0.6;
    gapDots.setDots(gaps.points, { radius, weight, color: "#3d0008", fillColor: "#e3001b" });
    side.querySelector(".gap-count").textContent = groupedDigits(gaps.total);
    const list = side.querySelector("ol.gaps");
    list.replaceChildren(...gaps.listed.map((gap) => {
      const item = document.createElement("li");
      item.dataset.code = gap.code;
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = gap.name;
      button.addEventListener("click", () => {
        map.setView([gap.lat, gap.lon], Math.max(map.getZoom(), 14));
        openPopup(gap.code, L.latLng(gap.lat, gap.lon));
      });
      const commune = document.createElement("small");
      commune.textContent = ` — ${gap.commune}`;
      item.append(button, commune);
      return item;
    }));
    const more = side.querySelector(".gap-more");
    more.hidden = gaps.total <= gaps.listed.length;
    more.textContent = `… và ${gaps.total - gaps.listed.length} thôn khác (and more): phóng to để xem (zoom in)`;
    const download = side.querySelector(".gap-download");
    download.href = `ogc/collections/gaps/items?${query({ bbox: box, datetime: state.asOf, limit: 100000, f: "json" })}`;
  }

  // Vietnamese digit grouping (12.345), as toLocaleString("vi-VN") writes it, without its
  // first call's cost (Chromium loads the locale's data then, on the page's critical path).
  function groupedDigits(count) {
    return String(count).replace(/\B(?=(\d{3})+$)/g, ".");
  }

  function showLegend(areas, outlines, gaps) {
    // Only the classes drawn now: a legend entry is never a promise of nothing.
    const drawn = new Set();
    for (const { properties: p } of areas.features) {
      if (p.kind === "unit") drawn.add(coverageClass(p));
      if (p.kind === "village") drawn.add(`village-${p.status}`);
      if (p.kind === "village" && p.quality === "approximate") drawn.add("village-approximate");
      if (p.kind === "no_data") drawn.add("no-data");
    }
    if (outlines && outlines.features.length) drawn.add("commune-outline");
    if (gaps.total > 0) drawn.add("gaps");
    for (const item of legend.querySelectorAll(".legend-item")) {
      item.hidden = !drawn.has(item.dataset.class);
    }
  }

  // -- units: popups, focus, panel ---------------------------------------------------------
  async function unitInfo(code) {
    return getJson(`api/map/units/${encodeURIComponent(code)}?${query({ as_of: state.asOf })}`);
  }

  async function openPopup(code, latlng) {
    setBusy(1);
    try {
      const info = await unitInfo(code);
      L.popup({ maxWidth: 420 }).setLatLng(latlng || centreOf(info.bounds)).setContent(info.popup).openOn(map);
    } catch (error) {
      status.textContent = error.message;
    } finally {
      setBusy(-1);
    }
  }

  function centreOf(bounds) {
    return L.latLng((bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2);
  }

  function fit(bounds) {
    const box = L.latLngBounds([bounds[1], bounds[0]], [bounds[3], bounds[2]]);
    const zoom = Math.min(map.getBoundsZoom(box), 17);
    return { box, zoom };
  }

  async function focusUnit(code, latlng) {
    setBusy(1);
    try {
      const info = await unitInfo(code);
      state.focus = { code: info.code, level: info.level, bounds: info.bounds };
      if (info.bounds) {
        const { box, zoom } = fit(info.bounds);
        state.focusZoom = zoom;
        map.fitBounds(box, { maxZoom: 17, animate: false });
      }
      L.popup({ maxWidth: 420 }).setLatLng(latlng || centreOf(info.bounds)).setContent(info.popup).openOn(map);
      await loadPanel();
      saveUrl();
    } catch (error) {
      status.textContent = error.message;
    } finally {
      setBusy(-1);
    }
  }

  async function loadPanel() {
    const code = state.focus ? state.focus.code : null;
    const panel = await getJson(`api/map/panel?${query({ unit: code, as_of: state.asOf })}`);
    side.querySelector(".panel").innerHTML = panel.html; // HTML escaped by the server
    document.querySelector("header .unit-title").textContent = panel.title;
    const context = document.querySelector("header .unit-context");
    context.textContent = panel.place.join(", ");
    context.hidden = panel.place.length === 0;
    document.querySelector(".date-form input[name=unit]").value = code || "";
  }

  // -- search ------------------------------------------------------------------------------
  const searchBox = document.querySelector(".search input[name=q]");
  const results = document.querySelector(".search-results");
  const LEVEL_WORDS = { 1: "tỉnh", 2: "huyện", 3: "xã", 4: "thôn" };
  let searchTimer = null;
  let searchController = null;

  async function search(text) {
    if (searchController) searchController.abort();
    searchController = new AbortController();
    if (text.trim().length < 2) { results.hidden = true; return; }
    setBusy(1);
    try {
      const found = await getJson(`api/units?${query({ q: text.trim(), as_of: state.asOf, limit: 20 })}`, searchController.signal);
      results.replaceChildren(...found.units.map(resultItem));
      if (found.units.length === 0) {
        const none = document.createElement("li");
        none.textContent = "Không tìm thấy (nothing found)";
        results.replaceChildren(none);
      }
      results.hidden = false;
    } catch (error) {
      if (error.name !== "AbortError") status.textContent = error.message;
    } finally {
      setBusy(-1);
    }
  }

  function resultItem(unit) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    const target = unit.retired && unit.successors.length ? unit.successors[0] : unit;
    button.dataset.code = target.code;
    button.textContent = unit.name;
    const detail = document.createElement("small");
    let text = ` ${LEVEL_WORDS[unit.level] || ""} · ${unit.code}`;
    if (unit.retired) {
      const names = unit.successors.map((s) => s.name || s.code).join(", ");
      text += names ? ` → ${names} (đã thay đổi / changed)` : " (đã kết thúc / ended)";
    }
    detail.textContent = text;
    button.append(detail);
    button.addEventListener("click", () => {
      results.hidden = true;
      searchBox.value = unit.name;
      if (unit.retired && !unit.successors.length) return;
      focusUnit(target.code, null);
    });
    item.append(button);
    return item;
  }

  searchBox.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search(searchBox.value), 200);
  });
  searchBox.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      const first = results.querySelector("button");
      if (first) first.click();
    }
  });

  // -- URL ---------------------------------------------------------------------------------
  function saveUrl() {
    const centre = map.getCenter();
    const params = query({
      unit: state.focus ? state.focus.code : null,
      as_of: config.as_of_given || state.asOf !== config.today ? state.asOf : null,
      zoom: map.getZoom(),
      lat: centre.lat.toFixed(5),
      lon: centre.lng.toFixed(5),
    });
    history.replaceState(null, "", `${location.pathname}?${params}`);
    // Another date is asked of the server (it checks the unit on that day): the view stays.
    const form = document.querySelector(".date-form");
    form.elements.zoom.value = map.getZoom();
    form.elements.lat.value = centre.lat.toFixed(5);
    form.elements.lon.value = centre.lng.toFixed(5);
  }

  const dateForm = document.querySelector(".date-form");
  dateForm.elements.as_of.addEventListener("change", () => {
    if (dateForm.elements.as_of.checkValidity()) dateForm.requestSubmit();
  });
  dateForm.addEventListener("submit", () => {
    for (const field of dateForm.querySelectorAll("input[type=hidden]")) field.disabled = !field.value;
  });

  function startView() {
    const params = new URLSearchParams(location.search);
    const zoom = Number.parseFloat(params.get("zoom"));
    const lat = Number.parseFloat(params.get("lat"));
    const lon = Number.parseFloat(params.get("lon"));
    if (state.focus && state.focus.bounds) state.focusZoom = fit(state.focus.bounds).zoom;
    if ([zoom, lat, lon].every(Number.isFinite) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
      map.setView([lat, lon], Math.min(18, Math.max(4, zoom)), { animate: false });
    } else if (state.focus && state.focus.bounds) {
      map.fitBounds(fit(state.focus.bounds).box, { maxZoom: 17, animate: false });
    } else {
      map.fitBounds(VIETNAM, { animate: false });
    }
  }

  let moveTimer = null;
  let settled = false;
  map.on("moveend", () => {
    if (state.focus && state.focusZoom !== null && map.getZoom() < state.focusZoom - 1) {
      state.focus = null; // zoomed out of the unit: back to the levels of the zoom
      state.focusZoom = null;
      loadPanel().catch((error) => { status.textContent = error.message; });
    }
    if (!settled) {
      // The first view is fetched at once (before the URL is written: the page waits for it).
      settled = true;
      refresh();
      saveUrl();
      return;
    }
    saveUrl();
    // Counted as loading from the move on, so "idle" never shows before the fetch starts.
    if (moveTimer === null) setBusy(1);
    clearTimeout(moveTimer);
    // Later moves wait for the reader to settle.
    moveTimer = setTimeout(() => {
      moveTimer = null;
      refresh();
      setBusy(-1);
    }, 80);
  });

  function addControls() {
    L.control.scale({ imperial: false }).addTo(map);
    const osm = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: "&copy; OpenStreetMap contributors",
    });
    L.control.layers({ OpenStreetMap: osm, "Nền trống / plain": plain }, {}, { collapsed: true }).addTo(map);
    // The legend sits on the map, where it stays in sight; it lists the layers drawn.
    const legendControl = L.control({ position: "bottomleft" });
    legendControl.onAdd = () => {
      legend.classList.add("leaflet-control");
      L.DomEvent.disableClickPropagation(legend);
      L.DomEvent.disableScrollPropagation(legend);
      return legend;
    };
    legendControl.addTo(map);
  }

  setBusy(1);
  startView();
  // After the first view's requests are out: the controls change nothing they depend on.
  addControls();
  setBusy(-1);
})();
