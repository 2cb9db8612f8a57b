/*
 * checkout.js: the Gateway payment SDK (SPEC 15).
 *
 *   <script src="http://localhost:3001/checkout.js"></script>
 *   new PaymentGateway({ key, orderId, onSuccess(response) {}, onFailure(error) {}, onClose() {} }).open();
 *
 * Sandbox bank (SPEC 22): a payment that needs 3-D Secure shows the bank's challenge
 * (/checkout/3ds) over the checkout; approve -> onSuccess as for any payment, deny (or the
 * 15-minute expiry) -> onFailure({ paymentId, orderId, status: 'failed',
 * errorCode: 'AUTHENTICATION_FAILED', errorDescription }). The optional
 * onRequiresAction({ paymentId, orderId, status: 'requires_action', nextAction }) is told when
 * the challenge appears. onFailure receives every bank decline with its errorCode
 * (CARD_DECLINED, INSUFFICIENT_FUNDS, …) and the modal stays open for another attempt.
 *
 * The checkout runs in an iframe served from the origin this script was loaded
 * from. Messages from the iframe are accepted only when they come from that
 * origin and from that very iframe's window.
 */
(function (window, document) {
    'use strict';

    var DEFAULT_ORIGIN = 'http://localhost:3001';
    var STYLE_ID = 'payment-gateway-styles';

    function scriptOrigin() {
        var script = document.currentScript;
        if (script && script.src) {
            try {
                var origin = new URL(script.src, window.location.href).origin;
                if (origin && origin !== 'null') {
                    return origin;
                }
            } catch (e) {
                /* fall through */
            }
        }
        return DEFAULT_ORIGIN;
    }

    var CHECKOUT_ORIGIN = scriptOrigin();

    var CSS = [
        '#payment-gateway-modal{position:fixed;inset:0;z-index:2147483000;}',
        '#payment-gateway-modal .modal-overlay{position:absolute;inset:0;background:rgba(15,23,42,.6);',
        'display:flex;align-items:center;justify-content:center;padding:16px;box-sizing:border-box;}',
        '#payment-gateway-modal .modal-content{position:relative;width:100%;max-width:440px;height:640px;',
        'max-height:calc(100vh - 32px);background:#fff;border-radius:14px;overflow:hidden;',
        'box-shadow:0 20px 50px rgba(0,0,0,.3);}',
        '#payment-gateway-modal iframe{display:block;width:100%;height:100%;border:0;}',
        '#payment-gateway-modal .threeds-frame{position:absolute;inset:0;background:#fff;}',
        '#payment-gateway-modal .close-button{position:absolute;top:8px;right:8px;width:32px;height:32px;',
        'border:0;border-radius:50%;background:rgba(15,23,42,.08);color:#1f2430;font:20px/32px sans-serif;',
        'text-align:center;cursor:pointer;padding:0;}',
        '#payment-gateway-modal .close-button:hover{background:rgba(15,23,42,.16);}',
        '#payment-gateway-modal .close-button:focus-visible{outline:2px solid #4f46e5;outline-offset:2px;}',
        '@media (max-width:599px){#payment-gateway-modal .modal-overlay{padding:0;}',
        '#payment-gateway-modal .modal-content{max-width:none;width:100%;height:100%;max-height:none;',
        'border-radius:0;}}'
    ].join('');

    function injectStyles() {
        if (document.getElementById(STYLE_ID)) {
            return;
        }
        var style = document.createElement('style');
        style.id = STYLE_ID;
        style.textContent = CSS;
        (document.head || document.documentElement).appendChild(style);
    }

    function callSafely(fn, arg) {
        if (typeof fn !== 'function') {
            return;
        }
        try {
            fn(arg);
        } catch (e) {
            if (window.console && window.console.error) {
                window.console.error(e);
            }
        }
    }

    class PaymentGateway {
        constructor(options) {
            options = options || {};
            if (!options.key) {
                throw new Error('PaymentGateway: key is required');
            }
            if (!options.orderId) {
                throw new Error('PaymentGateway: orderId is required');
            }
            this.key = String(options.key);
            this.orderId = String(options.orderId);
            this.onSuccess = options.onSuccess;
            this.onFailure = options.onFailure;
            this.onClose = options.onClose;
            this.onRequiresAction = options.onRequiresAction; // (extension, SPEC 22)
            this._threeds = null;
            this.checkoutOrigin = CHECKOUT_ORIGIN;
            this._modal = null;
            this._iframe = null;
            this._listener = null;
            this._keydown = null;
            this._inerted = [];
            this._returnFocus = null;
        }

        open() {
            if (this._modal) {
                return;
            }
            injectStyles();
            var self = this;
            var src = CHECKOUT_ORIGIN + '/checkout?order_id=' + encodeURIComponent(this.orderId) +
                '&embedded=true&origin=' + encodeURIComponent(window.location.origin);

            // SPEC 15 fixes the elements, so the modal is a div made a modal dialog by its
            // attributes (rather than a native <dialog>): role and aria-modal, the background
            // inert while it is open, focus moved into the checkout and given back on close,
            // Escape closing it on this page (the checkout posts close_modal for an Escape
            // inside the iframe).
            var modal = document.createElement('div');
            modal.id = 'payment-gateway-modal';
            modal.setAttribute('data-test-id', 'payment-modal');
            modal.setAttribute('role', 'dialog');
            modal.setAttribute('aria-modal', 'true');
            modal.setAttribute('aria-label', 'Payment');
            var overlay = document.createElement('div');
            overlay.className = 'modal-overlay';
            var content = document.createElement('div');
            content.className = 'modal-content';
            var iframe = document.createElement('iframe');
            iframe.setAttribute('data-test-id', 'payment-iframe');
            iframe.setAttribute('title', 'Payment checkout');
            iframe.setAttribute('src', src);
            var button = document.createElement('button');
            button.setAttribute('data-test-id', 'close-modal-button');
            button.className = 'close-button';
            button.setAttribute('type', 'button');
            button.setAttribute('aria-label', 'Close payment');
            button.textContent = '\u00d7';
            button.addEventListener('click', function () {
                self.close();
            });
            content.appendChild(iframe);
            content.appendChild(button);
            overlay.appendChild(content);
            modal.appendChild(overlay);

            this._listener = function (event) {
                self._onMessage(event);
            };
            window.addEventListener('message', this._listener);
            this._keydown = function (event) {
                if (event.key === 'Escape' || event.key === 'Esc') {
                    event.preventDefault();
                    self.close();
                }
            };
            document.addEventListener('keydown', this._keydown, true);
            this._modal = modal;
            this._iframe = iframe;
            this._returnFocus = document.activeElement;
            this._inerted = [];
            var siblings = document.body.children;
            for (var i = 0; i < siblings.length; i++) {
                var el = siblings[i];
                if (!el.inert && el.tagName !== 'SCRIPT' && el.tagName !== 'STYLE') {
                    el.inert = true;
                    this._inerted.push(el);
                }
            }
            document.body.appendChild(modal);
            iframe.focus();
        }

        _onMessage(event) {
            if (!this._modal || !this._iframe) {
                return;
            }
            if (event.origin !== CHECKOUT_ORIGIN || event.source !== this._iframe.contentWindow) {
                return;
            }
            var msg = event.data;
            if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') {
                return;
            }
            if (msg.type === 'payment_success') {
                this._endChallenge();
                callSafely(this.onSuccess, msg.data);
                this.close();
            } else if (msg.type === 'payment_failed') {
                this._endChallenge();
                callSafely(this.onFailure, msg.data);
            } else if (msg.type === 'payment_requires_action') {
                this._challenge(msg.data);
            } else if (msg.type === 'close_modal') {
                this.close();
            }
        }

        // SPEC 22: the sandbox bank's 3-D Secure challenge, shown over the checkout, which keeps
        // polling and reports payment_success / payment_failed as usual.
        _challenge(data) {
            var url = data && data.nextAction && typeof data.nextAction.url === 'string'
                ? data.nextAction.url : '';
            if (url.indexOf(CHECKOUT_ORIGIN + '/checkout/3ds?') !== 0 || !this._iframe) {
                return;
            }
            this._endChallenge();
            var frame = document.createElement('iframe');
            frame.setAttribute('data-test-id', 'threeds-iframe');
            frame.setAttribute('title', '3-D Secure authentication');
            frame.className = 'threeds-frame';
            frame.setAttribute('src', url + '&embedded=true');
            this._iframe.parentNode.insertBefore(frame, this._iframe.nextSibling);
            this._threeds = frame;
            callSafely(this.onRequiresAction, data);
        }

        _endChallenge() {
            if (this._threeds && this._threeds.parentNode) {
                this._threeds.parentNode.removeChild(this._threeds);
            }
            this._threeds = null;
        }

        close() {
            if (!this._modal) {
                return;
            }
            this._endChallenge();
            if (this._listener) {
                window.removeEventListener('message', this._listener);
            }
            if (this._keydown) {
                document.removeEventListener('keydown', this._keydown, true);
            }
            for (var i = 0; i < this._inerted.length; i++) {
                this._inerted[i].inert = false;
            }
            this._inerted = [];
            if (this._modal.parentNode) {
                this._modal.parentNode.removeChild(this._modal);
            }
            this._modal = null;
            this._iframe = null;
            this._listener = null;
            this._keydown = null;
            if (this._returnFocus && typeof this._returnFocus.focus === 'function') {
                try {
                    this._returnFocus.focus();
                } catch (e) {
                    /* the element may be gone */
                }
            }
            this._returnFocus = null;
            callSafely(this.onClose);
        }
    }

    window.PaymentGateway = PaymentGateway;
})(window, document);
