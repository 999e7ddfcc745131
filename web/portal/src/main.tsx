import '@smsgate/shared/styles/base.css';
import '@smsgate/shared/styles/frame.css';
import './styles/portal.css';
import '@smsgate/shared/theme';
import { render } from 'preact';
import { App } from './app/App';

const root = document.getElementById('app');
if (root) render(<App />, root);

// The app shell works offline and installs from the browser ("Add to home screen").
if ('serviceWorker' in navigator && import.meta.env.PROD) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch(() => {
      // still a working web page without it
    });
  });
}
